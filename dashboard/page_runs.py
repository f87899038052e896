"""The runs of one experiment as a table, params and latest metrics as columns."""

from __future__ import annotations

import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.client import ApiClient
from runstream.dashboard.frames import DATETIME_FORMAT, runs_frame

logger = logging.getLogger(__name__)

_PICKER = "run_picker"
_TABLE = "runs_table"


def render_runs(client: ApiClient, experiment_id: str, tz: ZoneInfo) -> None:
    st.button("← Experiments", on_click=nav.open_experiments, type="tertiary")
    experiment = _find_experiment(client, experiment_id)
    st.title(experiment["name"] if experiment else f"Experiment {experiment_id}")
    if experiment:
        location = experiment["artifact_location"]
        where = f" · artifacts: {location}" if location else ""
        st.caption(f"ID {experiment_id}{where}")

    runs = client.runs(experiment_id)
    show_deleted = st.toggle("Show deleted runs", value=False)
    if not show_deleted:
        runs = [r for r in runs if r["lifecycle_stage"] != "deleted"]
    if not runs:
        st.info("No runs in this experiment yet.")
        return

    now_ms = int(time.time() * 1000)
    ids = [r["run_id"] for r in runs]
    frame = runs_frame(runs, tz, now_ms)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config=_column_config(list(frame.columns)),
        on_select=lambda: _open_clicked_row(ids, experiment_id),
        selection_mode="single-row",
        key=f"{_TABLE}_{experiment_id}",
    )
    st.caption(f"{len(runs):,} runs, newest first; click a row to open it.")

    # Streamlit tells options apart by their labels, and run names repeat.
    labels = {
        r["run_id"]: f"{r['run_name']} · {r['status']} · {r['run_id']}" for r in runs
    }
    picker, button = st.columns([4, 1], vertical_alignment="bottom")
    picker.selectbox(
        "Run", options=ids, format_func=lambda run_id: labels[run_id], key=_PICKER
    )
    button.button(
        "Open run",
        on_click=nav.open_selected_run,
        args=(_PICKER, experiment_id),
        type="primary",
    )


def _column_config(columns: list[str]) -> dict[str, Any]:
    # Short numbers keep many metric columns readable side by side; the full value
    # is on the run page.
    config: dict[str, Any] = {
        "Started": st.column_config.DatetimeColumn(format=DATETIME_FORMAT)
    }
    for column in columns:
        if column.startswith("metrics."):
            config[column] = st.column_config.NumberColumn(format="%.4g")
    return config


def _find_experiment(client: ApiClient, experiment_id: str) -> dict[str, Any] | None:
    for experiment in client.experiments():
        if experiment["experiment_id"] == experiment_id:
            return experiment
    return None


def _open_clicked_row(ids: list[str], experiment_id: str) -> None:
    rows = st.session_state[f"{_TABLE}_{experiment_id}"].selection.rows
    if rows:
        nav.open_run(ids[rows[0]], experiment_id)
