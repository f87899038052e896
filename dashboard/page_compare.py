"""Runs side by side: a table, overlaid metric charts, parallel coordinates of
params against a metric, and a param-versus-metric scatter."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.charts import lines_caption, lines_figure
from runstream.dashboard.client import ApiClient, ApiError
from runstream.dashboard.compare_figures import (
    compare_frame,
    parallel_coordinates,
    param_scatter,
    run_label,
)
from runstream.dashboard.run_charts import (
    CHARTS_PER_ROW,
    chart_options,
    fetch_series,
    lines_of,
)
from runstream.dashboard.series import api_axis
from runstream.settings import DashboardSettings

logger = logging.getLogger(__name__)

_PREFIX = "compare_"
# Charts drawn before the user picks keys.
_DEFAULT_KEYS = 4


def render_compare(
    client: ApiClient,
    run_ids: Sequence[str],
    experiment_id: str | None,
    settings: DashboardSettings,
    tz: ZoneInfo,
) -> None:
    if experiment_id:
        st.button(
            "← Runs of this experiment",
            on_click=nav.open_experiment,
            args=(experiment_id,),
            type="tertiary",
        )
    runs = _fetch_runs(client, run_ids)
    st.title(f"Compare {len(runs)} runs")
    if len(runs) < 2:
        st.info("Select two runs or more in a runs table to compare them.")
        return

    st.dataframe(compare_frame(runs), hide_index=True, width="stretch")
    keys = sorted({key for run in runs for key in run["metrics"]})
    if not keys:
        st.info("These runs have no metrics to compare.")
        return
    st.subheader("Metrics")
    _overlaid_charts(client, runs, keys, settings.max_points, tz)
    params = sorted({key for run in runs for key in run["params"]})
    st.subheader("Params against a metric")
    if not params:
        st.caption("These runs have no params.")
        return
    _parallel_and_scatter(runs, params, keys)


def _fetch_runs(client: ApiClient, run_ids: Sequence[str]) -> list[dict[str, Any]]:
    runs = []
    for run_id in dict.fromkeys(run_ids):
        try:
            runs.append(client.run(run_id))
        except ApiError as exc:
            st.warning(f"Run {run_id} is left out: {exc}")
    return runs


def _overlaid_charts(
    client: ApiClient,
    runs: list[dict[str, Any]],
    keys: list[str],
    max_points: int,
    tz: ZoneInfo,
) -> None:
    options = chart_options(_PREFIX)
    chosen: list[str] = st.multiselect(
        "Metric keys", keys, default=keys[:_DEFAULT_KEYS], key=f"{_PREFIX}keys"
    )
    if not chosen:
        return
    ids = [run["run_id"] for run in runs]
    fetched = fetch_series(
        client,
        ids,
        chosen,
        max_points,
        api_axis(options.x_mode),
        per_rank=options.per_rank,
    )
    if isinstance(fetched, ApiError):
        st.warning(f"Could not fetch the series: {fetched}")
        return
    for start in range(0, len(chosen), CHARTS_PER_ROW):
        row = chosen[start : start + CHARTS_PER_ROW]
        for column, key in zip(st.columns(CHARTS_PER_ROW), row, strict=False):
            lines = [
                line
                for run in runs
                if (run["run_id"], key) in fetched
                for line in lines_of(
                    run_label(run), fetched[(run["run_id"], key)], run["start_time"]
                )
            ]
            with column:
                figure = lines_figure(key, lines, options, tz)
                st.plotly_chart(figure, width="stretch", key=f"{_PREFIX}chart_{key}")
                st.caption(lines_caption(lines))


def _parallel_and_scatter(
    runs: list[dict[str, Any]], params: list[str], keys: list[str]
) -> None:
    picked, metric_column = st.columns([3, 2])
    chosen = picked.multiselect(
        "Params", params, default=params[:6], key=f"{_PREFIX}params"
    )
    metric = metric_column.selectbox("Metric", keys, key=f"{_PREFIX}metric")
    if chosen and metric:
        st.plotly_chart(
            parallel_coordinates(runs, chosen, metric),
            width="stretch",
            key=f"{_PREFIX}parallel",
        )
    param = st.selectbox("Param for the scatter", params, key=f"{_PREFIX}scatter_param")
    if param and metric:
        st.plotly_chart(
            param_scatter(runs, param, metric),
            width="stretch",
            key=f"{_PREFIX}scatter",
        )
