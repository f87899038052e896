"""The runs of one experiment as a table: MLflow's filter box, sorting, a column
chooser for params and metrics, and row selection for comparison.

Filtering and sorting happen in ClickHouse (the API's ``filter`` and ``order_by``),
so the table is right however many runs the experiment holds.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.client import ApiClient, ApiRequestError
from runstream.dashboard.frames import DATETIME_FORMAT, RUN_COLUMNS, runs_frame

logger = logging.getLogger(__name__)

_PICKER = "run_picker"
_TABLE = "runs_table"
# More param and metric columns than this are hidden until chosen.
_DEFAULT_COLUMNS = 30
FILTER_EXAMPLE = "metrics.loss < 0.1 and params.optimizer = 'adam'"
# Sort choices that are run attributes, by label.
_ATTRIBUTE_ORDER = {
    "Started": "attributes.start_time",
    "Run name": "attributes.run_name",
    "Status": "attributes.status",
}


def render_runs(client: ApiClient, experiment_id: str, tz: ZoneInfo) -> None:
    st.button("← Experiments", on_click=nav.open_experiments, type="tertiary")
    experiment = _find_experiment(client, experiment_id)
    if experiment is None:
        # The page's own 404 notice, as for an unknown run.
        raise ApiRequestError(
            f"experiment {experiment_id!r} not found; pick one from the experiments "
            "list (one created moments ago may not be projected yet)",
            404,
        )
    st.title(experiment["name"])
    location = experiment["artifact_location"]
    where = f" · artifacts: {location}" if location else ""
    st.caption(f"ID {experiment_id}{where}")

    query, sort, direction = st.columns([6, 3, 2], vertical_alignment="bottom")
    filter_string = query.text_input(
        "Filter runs",
        key=f"run_filter_{experiment_id}",
        placeholder=FILTER_EXAMPLE,
        help="MLflow's search syntax: metrics.<key>, params.<key>, tags.<key> and "
        "attributes (status, run_name, start_time, ...) compared with = != < <= > "
        ">= LIKE ILIKE IN, joined with AND. Keys with odd characters go in "
        "backticks: metrics.`val loss` < 1.",
    )
    sort_options = _sort_options(experiment_id)
    sort_by = sort.selectbox("Sort by", sort_options, key=f"run_sort_{experiment_id}")
    order = direction.segmented_control(
        "Order",
        ["desc", "asc"],
        format_func={"desc": "↓ desc", "asc": "↑ asc"}.__getitem__,
        default="desc",
        required=True,
        key=f"run_order_{experiment_id}",
    )
    order_by = _order_by(sort_by, order == "desc")

    try:
        runs = client.runs(experiment_id, filter_string, order_by)
    except ApiRequestError as exc:
        if exc.status_code != 400:
            raise
        st.error(f"The filter or sort does not work: {exc}", icon=":material/error:")
        return
    _remember_sort_options(experiment_id, runs)

    show_deleted = st.toggle("Show deleted runs", value=False)
    if not show_deleted:
        runs = [r for r in runs if r["lifecycle_stage"] != "deleted"]
    if not runs:
        st.info("No runs match this filter." if filter_string else "No runs yet here.")
        return
    _table(runs, experiment_id, tz, bool(filter_string))
    _open_picker(runs, experiment_id)


def _table(
    runs: list[dict[str, Any]], experiment_id: str, tz: ZoneInfo, filtered: bool
) -> None:
    now_ms = int(time.time() * 1000)
    frame = runs_frame(runs, tz, now_ms)
    chosen = _choose_columns(experiment_id, list(frame.columns))
    ids = [r["run_id"] for r in runs]
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_order=[*RUN_COLUMNS, *chosen],
        column_config=_column_config(list(frame.columns)),
        on_select="rerun",
        selection_mode="multi-row",
        key=f"{_TABLE}_{experiment_id}",
    )
    selected = [ids[i] for i in event.selection.rows if i < len(ids)]
    matched = " matching the filter" if filtered else ""
    plural = "run" if len(runs) == 1 else "runs"
    st.caption(
        f"{len(runs):,} {plural}{matched}; tick rows to compare them or open one."
    )

    compare, open_one, _ = st.columns([2, 2, 4])
    compare.button(
        f"Compare selected ({len(selected)})",
        on_click=nav.open_compare,
        args=(selected, experiment_id),
        disabled=len(selected) < 2,
        type="primary",
        icon=":material/compare_arrows:",
    )
    if len(selected) == 1:
        open_one.button(
            "Open selected run",
            on_click=nav.open_run,
            args=(selected[0], experiment_id),
        )


def _choose_columns(experiment_id: str, columns: list[str]) -> list[str]:
    """The column chooser; until the user picks, it follows the runs, so keys
    that runs add later show up."""
    available = [c for c in columns if c.startswith(("params.", "metrics."))]
    state_key = f"run_columns_{experiment_id}"
    manual_key = f"run_columns_manual_{experiment_id}"
    if not st.session_state.get(manual_key) or state_key not in st.session_state:
        st.session_state[state_key] = available[:_DEFAULT_COLUMNS]
    options = sorted(set(available) | set(st.session_state[state_key]))
    chosen: list[str] = st.multiselect(
        f"Columns ({len(available):,} params and metrics)",
        options,
        key=state_key,
        on_change=lambda: st.session_state.update({manual_key: True}),
    )
    return [c for c in chosen if c in columns]


def _sort_options(experiment_id: str) -> list[str]:
    known = st.session_state.get(f"run_sort_keys_{experiment_id}", [])
    return [*_ATTRIBUTE_ORDER, *known]


def _remember_sort_options(experiment_id: str, runs: list[dict[str, Any]]) -> None:
    """Params and metrics seen so far become sort choices (for the next run of
    the script: the picker above is drawn already)."""
    state_key = f"run_sort_keys_{experiment_id}"
    known = set(st.session_state.get(state_key, []))
    for run in runs:
        known.update(f"params.{k}" for k in run["params"])
        known.update(f"metrics.{k}" for k in run["metrics"])
    st.session_state[state_key] = sorted(known)


def _order_by(label: str, descending: bool) -> str:
    direction = "DESC" if descending else "ASC"
    if label in _ATTRIBUTE_ORDER:
        return f"{_ATTRIBUTE_ORDER[label]} {direction}"
    entity, _, key = label.partition(".")
    return f"{entity}.`{key.replace('`', '``')}` {direction}"


def _open_picker(runs: list[dict[str, Any]], experiment_id: str) -> None:
    # Streamlit tells options apart by their labels, and run names repeat.
    labels = {
        r["run_id"]: f"{r['run_name']} · {r['status']} · {r['run_id']}" for r in runs
    }
    # A new list (another filter) makes a new picker: a kept choice could be a
    # run the filter took off the list.
    digest = hashlib.sha1("".join(labels).encode()).hexdigest()[:8]
    key = f"{_PICKER}_{digest}"
    picker, button = st.columns([4, 1], vertical_alignment="bottom")
    picker.selectbox(
        "Run",
        options=list(labels),
        format_func=lambda run_id: labels[run_id],
        key=key,
    )
    button.button(
        "Open run",
        on_click=nav.open_selected_run,
        args=(key, experiment_id),
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
