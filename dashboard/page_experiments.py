"""The start page: every experiment, and a way into one."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.client import ApiClient
from runstream.dashboard.frames import DATETIME_FORMAT, experiments_frame

logger = logging.getLogger(__name__)

_PICKER = "experiment_picker"
_TABLE = "experiments_table"


def render_experiments(client: ApiClient, tz: ZoneInfo) -> None:
    st.title("Experiments")
    experiments = client.experiments()
    show_deleted = st.toggle("Show deleted experiments", value=False)
    if not show_deleted:
        experiments = [e for e in experiments if e["lifecycle_stage"] != "deleted"]
    if not experiments:
        st.info(
            "No experiments yet. Log a run with the SDK (`runstream.start_run()`); "
            "it shows up here once the projections have applied it."
        )
        return

    ids = [e["experiment_id"] for e in experiments]
    st.dataframe(
        experiments_frame(experiments, tz),
        hide_index=True,
        width="stretch",
        column_config={
            "Created": st.column_config.DatetimeColumn(format=DATETIME_FORMAT),
            "Updated": st.column_config.DatetimeColumn(format=DATETIME_FORMAT),
        },
        on_select=lambda: _open_clicked_row(ids),
        selection_mode="single-row",
        key=_TABLE,
    )

    names = {e["experiment_id"]: e["name"] for e in experiments}
    picker, button = st.columns([4, 1], vertical_alignment="bottom")
    picker.selectbox(
        "Experiment",
        options=ids,
        format_func=lambda experiment_id: names[experiment_id],
        key=_PICKER,
    )
    button.button(
        "Open experiment",
        on_click=nav.open_selected_experiment,
        args=(_PICKER,),
        type="primary",
    )


def _open_clicked_row(ids: list[str]) -> None:
    rows = st.session_state[_TABLE].selection.rows
    if rows:
        nav.open_experiment(ids[rows[0]])
