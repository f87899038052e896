"""The metric charts of a run page: which keys to draw, fetching, and the grid.

A run may have hundreds of metric keys; drawing every one would take the page
minutes, so only a selection is drawn: the first few keys, those matching a filter,
or the ones the user picked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from runstream.dashboard.charts import metric_figure, points_caption
from runstream.dashboard.client import ApiClient, ApiError, XAxis
from runstream.dashboard.frames import matching_keys

logger = logging.getLogger(__name__)

CHARTS_PER_ROW = 2
# Enough parallel requests to hide latency, few enough not to crowd the API.
_FETCH_WORKERS = 8


def render_charts(
    client: ApiClient,
    run_id: str,
    metric_keys: Sequence[str],
    tz: ZoneInfo,
    *,
    max_points: int,
    default_count: int,
) -> None:
    if not metric_keys:
        st.info("No metrics logged yet.")
        return

    x_axis: XAxis = st.segmented_control(
        "X axis",
        options=["step", "timestamp"],
        default="step",
        required=True,
        key="x_axis",
    )
    selected = _pick_keys(run_id, metric_keys, default_count)
    if not selected:
        st.info("Pick metric keys above to draw their charts.")
        return

    series = _fetch_all(client, run_id, selected, max_points, x_axis)
    for start in range(0, len(selected), CHARTS_PER_ROW):
        keys = selected[start : start + CHARTS_PER_ROW]
        # The last row may have fewer charts than columns.
        for column, key in zip(st.columns(CHARTS_PER_ROW), keys, strict=False):
            with column:
                _draw(key, series[key], tz)


def _pick_keys(run_id: str, keys: Sequence[str], default_count: int) -> list[str]:
    """The filter box and the key picker; returns the keys to draw.

    Until the user picks keys by hand the selection follows the filter, so keys
    that a live run adds later still show up when they fit.
    """
    selection_key = f"chart_keys_{run_id}"
    filter_key = f"chart_filter_{run_id}"
    manual_key = f"chart_keys_manual_{run_id}"

    pattern = st.text_input(
        "Filter metric keys",
        key=filter_key,
        placeholder="substring or regular expression, e.g. loss or ^rank0/",
        on_change=_set_manual,
        args=(manual_key, False),
    )
    matches = matching_keys(keys, pattern)
    # Streamlit drops a widget's state once a run no longer draws it (after a visit
    # to another page), and then only the filter can say what to draw.
    manual = st.session_state.get(manual_key, False)
    if not manual or selection_key not in st.session_state:
        st.session_state[selection_key] = matches[:default_count]

    # A picked key stays an option even when the filter no longer matches it.
    options = sorted(set(keys) | set(st.session_state.get(selection_key, [])))
    selected: list[str] = st.multiselect(
        f"Metric keys ({len(matches):,} of {len(keys):,} match)",
        options=options,
        key=selection_key,
        on_change=_set_manual,
        args=(manual_key, True),
    )
    return selected


def _set_manual(manual_key: str, manual: bool) -> None:
    st.session_state[manual_key] = manual


def _fetch_all(
    client: ApiClient, run_id: str, keys: Sequence[str], max_points: int, x_axis: XAxis
) -> dict[str, dict[str, Any] | ApiError]:
    """Each key's series, or the error that fetching it raised."""

    def fetch(key: str) -> dict[str, Any] | ApiError:
        try:
            return client.metric(run_id, key, max_points=max_points, x_axis=x_axis)
        except ApiError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=min(_FETCH_WORKERS, len(keys))) as pool:
        return dict(zip(keys, pool.map(fetch, keys), strict=True))


def _draw(key: str, series: dict[str, Any] | ApiError, tz: ZoneInfo) -> None:
    if isinstance(series, ApiError):
        st.warning(f"{key}: {series}")
        return
    st.plotly_chart(metric_figure(series, tz), width="stretch", key=f"chart_{key}")
    st.caption(points_caption(series))
