"""One run: its header, metric charts, params, tags and artifacts.

While the run is RUNNING the upper part is a fragment that reruns by itself every
few seconds; once the run has ended the whole page is drawn again without the
timer, so the page of a finished run stops asking the API about it.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal
from zoneinfo import ZoneInfo

import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.artifacts import render_artifacts
from runstream.dashboard.client import ApiClient, ApiError
from runstream.dashboard.frames import (
    format_duration,
    format_time,
    key_value_frame,
    latest_metrics_frame,
    run_duration_s,
)
from runstream.dashboard.run_charts import render_charts
from runstream.settings import DashboardSettings

logger = logging.getLogger(__name__)

RUNNING = "RUNNING"
BadgeColor = Literal["blue", "green", "red", "orange", "gray"]
STATUS_COLORS: dict[str, BadgeColor] = {
    "RUNNING": "blue",
    "FINISHED": "green",
    "FAILED": "red",
    "KILLED": "orange",
}


def render_run(
    client: ApiClient, run_id: str, settings: DashboardSettings, tz: ZoneInfo
) -> None:
    run = client.run(run_id)
    experiment_id = run["experiment_id"]
    back_all, back_runs, history, export_csv, export_parquet = st.columns(
        [2, 3, 2, 2, 2]
    )
    back_all.button("← Experiments", on_click=nav.open_experiments, type="tertiary")
    back_runs.button(
        "← Runs of this experiment",
        on_click=nav.open_experiment,
        args=(experiment_id,),
        type="tertiary",
    )
    history.button(
        "Event history",
        on_click=nav.open_events,
        args=(run_id, experiment_id),
        type="tertiary",
        icon=":material/history:",
    )
    # The full resolution is a download from the API; charts get reduced series.
    for column, fmt in ((export_csv, "csv"), (export_parquet, "parquet")):
        _export_button(column, client, run_id, fmt)

    live = run["status"] == RUNNING
    refresh_s = settings.refresh_s if live else None
    live_part = st.fragment(_live_part, run_every=refresh_s)
    live_part(client, run_id, live, settings, tz)

    st.divider()
    render_artifacts(client, run_id)


def _live_part(
    client: ApiClient,
    run_id: str,
    was_live: bool,
    settings: DashboardSettings,
    tz: ZoneInfo,
) -> None:
    """Header, charts, params and tags: everything a running run changes."""
    try:
        run = client.run(run_id)
    except ApiError as exc:
        # Only this fragment reran, so the app's error handling is not around it.
        st.warning(f"Could not refresh run {run_id}: {exc}")
        return
    if was_live and run["status"] != RUNNING:
        logger.info("run ended, refresh stops run_id=%s", run_id)
        st.rerun(scope="app")

    _header(run, tz, settings.refresh_s if was_live else None)
    st.subheader("Metrics")
    render_charts(
        client,
        run,
        tz,
        max_points=settings.max_points,
        default_count=settings.default_charts,
    )
    _tables(run)


def _header(run: dict[str, Any], tz: ZoneInfo, refresh_s: float | None) -> None:
    title, badge = st.columns([5, 1], vertical_alignment="center")
    title.title(run["run_name"] or run["run_id"])
    with badge:
        st.badge(run["status"], color=STATUS_COLORS.get(run["status"], "gray"))

    # Full timestamps do not fit st.metric's large type, so one line holds them.
    now_ms = int(time.time() * 1000)
    st.markdown(
        f"**Started** {format_time(run['start_time'], tz)} · "
        f"**Ended** {format_time(run.get('end_time'), tz)} · "
        f"**Duration** {format_duration(run_duration_s(run, now_ms))}"
    )
    details = f"run {run['run_id']} · experiment {run['experiment_id']}"
    if run.get("user"):
        details += f" · user {run['user']}"
    st.caption(details)
    if run.get("parent_run_id"):
        st.button(
            f"Parent run {run['parent_run_id']}",
            on_click=nav.open_run,
            args=(run["parent_run_id"], run["experiment_id"]),
            type="tertiary",
            icon=":material/arrow_upward:",
        )
    if refresh_s is not None:
        st.caption(f"Live: refreshing every {refresh_s:g} s while the run is RUNNING.")


def _tables(run: dict[str, Any]) -> None:
    params, tags = st.columns(2)
    with params:
        st.subheader(f"Params ({len(run['params']):,})")
        st.dataframe(key_value_frame(run["params"]), hide_index=True, width="stretch")
    with tags:
        st.subheader(f"Tags ({len(run['tags']):,})")
        st.dataframe(key_value_frame(run["tags"]), hide_index=True, width="stretch")

    with st.expander(f"Latest metric values ({len(run['metrics']):,})"):
        st.dataframe(
            latest_metrics_frame(run["metrics"]), hide_index=True, width="stretch"
        )


_EXPORT_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def _export_button(column: Any, client: ApiClient, run_id: str, fmt: str) -> None:
    """A plain link streams the export from the API straight to the browser; with
    API tokens on, the browser would send none, so the dashboard fetches the file
    with its own token when the button is clicked."""
    label = f"Export {fmt.upper() if fmt == 'csv' else fmt.title()}"
    if not client.authenticated:
        column.link_button(
            label,
            client.export_url(run_id, fmt),
            type="tertiary",
            icon=":material/download:",
        )
        return
    column.download_button(
        label,
        data=lambda: client.export_bytes(run_id, fmt),
        file_name=f"{run_id}-metrics.{fmt}",
        mime=_EXPORT_TYPES[fmt],
        type="tertiary",
        icon=":material/download:",
        on_click="ignore",
    )
