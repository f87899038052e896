"""The metric charts of a run page: which keys to draw, how, and the grid.

A run may have hundreds of metric keys; drawing every one would take the page
minutes, so only a selection is drawn: the first few keys, those matching a filter,
or the ones the user picked. Their series come in one request, downsampled by the
API, so a million-point metric costs the browser a thousand points.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast
from zoneinfo import ZoneInfo

import streamlit as st

from runstream.dashboard.charts import Line, lines_caption, lines_figure
from runstream.dashboard.client import ApiClient, ApiError
from runstream.dashboard.frames import matching_keys
from runstream.dashboard.series import (
    X_MODES,
    ChartOptions,
    ChartSpec,
    XMode,
    api_axis,
    chart_specs,
)

logger = logging.getLogger(__name__)

CHARTS_PER_ROW = 2
SYSTEM_PREFIX = "system/"


def chart_options(prefix: str = "") -> ChartOptions:
    """The controls every chart of the page follows: x axis, smoothing, scale
    and per-rank lines."""
    axis, smoothing, log_y, per_rank = st.columns(
        [5, 4, 2, 2], vertical_alignment="bottom"
    )
    with axis:
        x_mode = st.segmented_control(
            "X axis",
            options=list(X_MODES),
            format_func=X_MODES.__getitem__,
            default="step",
            required=True,
            key=f"{prefix}x_axis",
        )
    weight = smoothing.slider(
        "Smoothing", 0.0, 0.99, 0.0, step=0.01, key=f"{prefix}smoothing"
    )
    log = log_y.toggle("Log scale", key=f"{prefix}log_y")
    ranks = per_rank.toggle(
        "Per rank",
        value=True,
        key=f"{prefix}per_rank",
        help="A line per rank: for a key that several ranks logged, and for "
        "rank0/x, rank1/x, ... drawn together as one chart x.",
    )
    # The control offers only the keys of X_MODES, so its answer is an XMode.
    mode = cast(XMode, x_mode)
    return ChartOptions(x_mode=mode, smoothing=weight, log_y=log, per_rank=ranks)


def render_charts(
    client: ApiClient,
    run: dict[str, Any],
    tz: ZoneInfo,
    *,
    max_points: int,
    default_count: int,
) -> None:
    run_id = run["run_id"]
    keys = sorted(k for k in run["metrics"] if not k.startswith(SYSTEM_PREFIX))
    system_keys = sorted(k for k in run["metrics"] if k.startswith(SYSTEM_PREFIX))
    if not keys and not system_keys:
        st.info("No metrics logged yet.")
        return

    options = chart_options()
    selected = _pick_keys(run_id, keys, default_count) if keys else []
    if keys and not selected:
        st.info("Pick metric keys above to draw their charts.")
    if selected:
        _draw_grid(client, run, selected, options, tz, max_points)
    # A toggle, not an expander: a collapsed expander still draws its charts, and
    # their series would be fetched on every refresh.
    if system_keys and st.toggle(
        f"System metrics ({len(system_keys):,})", key=f"system_{run_id}"
    ):
        _draw_grid(client, run, system_keys, options, tz, max_points)


def _draw_grid(
    client: ApiClient,
    run: dict[str, Any],
    keys: Sequence[str],
    options: ChartOptions,
    tz: ZoneInfo,
    max_points: int,
) -> None:
    specs = chart_specs(keys, options.per_rank)
    fetched = fetch_series(
        client,
        [run["run_id"]],
        list(keys),
        max_points,
        api_axis(options.x_mode),
        per_rank=options.per_rank,
    )
    if isinstance(fetched, ApiError):
        st.warning(f"Could not fetch the series: {fetched}")
        return
    series = {key: found for (_, key), found in fetched.items()}
    for start in range(0, len(specs), CHARTS_PER_ROW):
        row = specs[start : start + CHARTS_PER_ROW]
        # The last row may have fewer charts than columns.
        for column, spec in zip(st.columns(CHARTS_PER_ROW), row, strict=False):
            with column:
                _draw(spec, series, run.get("start_time"), options, tz)


def fetch_series(
    client: ApiClient,
    run_ids: list[str],
    keys: list[str],
    max_points: int,
    x_axis: Any,
    per_rank: bool = False,
) -> dict[tuple[str, str], list[dict[str, Any]]] | ApiError:
    """Every (run, key)'s series (one per rank with ``per_rank``) in one request,
    or the error it raised."""
    try:
        found = client.series(
            run_ids, keys, max_points=max_points, x_axis=x_axis, per_rank=per_rank
        )
    except ApiError as exc:
        return exc
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for series in found:
        grouped.setdefault((series["run_id"], series["key"]), []).append(series)
    return grouped


def lines_of(
    label: str, found: list[dict[str, Any]], start_ms: int | None
) -> list[Line]:
    """A line per series; when ranks wrote the key apart, each rank's is labelled."""
    if len(found) == 1:
        return [Line(label, found[0], start_ms)]
    return [Line(f"{label} · rank {s['rank']}", s, start_ms) for s in found]


def _draw(
    spec: ChartSpec,
    series: dict[str, list[dict[str, Any]]],
    start_ms: int | None,
    options: ChartOptions,
    tz: ZoneInfo,
) -> None:
    lines = [
        line
        for label, key in spec.lines
        if key in series
        for line in lines_of(label, series[key], start_ms)
    ]
    if not lines:
        st.caption(f"{spec.title}: no points yet")
        return
    figure = lines_figure(spec.title, lines, options, tz)
    st.plotly_chart(figure, width="stretch", key=f"chart_{spec.title}")
    st.caption(lines_caption(lines))


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
