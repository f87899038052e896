"""Plotly figures for metric series as the API returns them."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from runstream.dashboard.frames import metric_value
from runstream.dashboard.series import X_MODES, ChartOptions, ema, x_values

logger = logging.getLogger(__name__)

CHART_HEIGHT = 260
# Below this many points each one gets a marker, so a short series stays visible.
_MARKER_LIMIT = 50
# Plotly's own palette, named so that a smoothed line and its faint raw points
# share a colour.
_COLORS = (
    "#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a",
    "#19d3f3", "#ff6692", "#b6e880", "#ff97ff", "#fecb52",
)  # fmt: skip


def points_caption(series: Mapping[str, Any]) -> str:
    """How much of the series is drawn: "1,000 of 50,000 points (downsampled)"."""
    shown = len(series["x"])
    total = int(series.get("total_points", shown))
    if series.get("downsampled"):
        return f"{shown:,} of {total:,} points (downsampled)"
    return f"{total:,} point{'s' if total != 1 else ''}"


def series_frame(series: Mapping[str, Any], tz: ZoneInfo) -> pd.DataFrame:
    """The series as x and y columns; timestamps become times in ``tz`` and
    non-finite values become gaps, since a chart cannot place them."""
    y = [metric_value(v) for v in series["y"]]
    y = [v if math.isfinite(v) else math.nan for v in y]
    x: Any = series["x"]
    if series.get("x_axis") == "timestamp":
        x = pd.to_datetime(x, unit="ms", utc=True).tz_convert(tz)
    return pd.DataFrame({"x": x, "y": y})


def metric_figure(series: Mapping[str, Any], tz: ZoneInfo) -> go.Figure:
    frame = series_frame(series, tz)
    mode = "lines+markers" if len(frame) <= _MARKER_LIMIT else "lines"
    figure = go.Figure(
        go.Scatter(
            x=frame["x"],
            y=frame["y"],
            mode=mode,
            name=str(series["key"]),
            connectgaps=False,
            hovertemplate="%{x}<br>%{y:.6g}<extra></extra>",
        )
    )

    x_title = "time" if series.get("x_axis") == "timestamp" else "step"
    figure.update_layout(
        title={"text": str(series["key"]), "font": {"size": 14}},
        height=CHART_HEIGHT,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title=x_title,
        showlegend=False,
    )
    return figure


@dataclass(frozen=True)
class Line:
    """One line of a chart: a label and a series from the API; ``start_ms`` is
    the origin of relative time (the run's start)."""

    label: str
    series: Mapping[str, Any]
    start_ms: int | None = None


def lines_figure(
    title: str, lines: Sequence[Line], options: ChartOptions, tz: ZoneInfo
) -> go.Figure:
    """Several series on one chart (ranks of a run, or runs compared), drawn
    with the x axis, smoothing and scale the options ask for."""
    figure = go.Figure()
    smoothing = options.smoothing > 0
    for index, line in enumerate(lines):
        frame = series_frame(line.series, tz)
        if options.x_mode == "relative":
            frame["x"] = x_values(dict(line.series), "relative", line.start_ms)
        mode = "lines+markers" if len(frame) <= _MARKER_LIMIT else "lines"
        color = _COLORS[index % len(_COLORS)]
        common = {"x": frame["x"], "name": line.label, "connectgaps": False}
        if smoothing:
            # The raw points stay, faint, so smoothing cannot hide a spike.
            figure.add_trace(
                go.Scatter(
                    **common,
                    y=frame["y"],
                    mode="lines",
                    opacity=0.25,
                    line={"color": color},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        y = ema(frame["y"], options.smoothing) if smoothing else frame["y"]
        figure.add_trace(
            go.Scatter(
                **common,
                y=y,
                mode=mode,
                line={"color": color},
                hovertemplate=f"{line.label}<br>%{{x}}<br>%{{y:.6g}}<extra></extra>",
            )
        )

    x_title = X_MODES[options.x_mode]
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=CHART_HEIGHT,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title=x_title + (" (s)" if options.x_mode == "relative" else ""),
        showlegend=len(lines) > 1,
        # Above the plot, so it never covers the axis title below.
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "x": 1.0,
            "xanchor": "right",
        },
    )
    if options.log_y:
        figure.update_yaxes(type="log")
    return figure


def lines_caption(lines: Sequence[Line]) -> str:
    """What one chart shows: the points caption of its series, or a sum."""
    if len(lines) == 1:
        return points_caption(lines[0].series)
    shown = sum(len(line.series["x"]) for line in lines)
    total = sum(int(line.series.get("total_points", 0)) for line in lines)
    note = (
        " (downsampled)"
        if any(line.series.get("downsampled") for line in lines)
        else ""
    )
    return f"{len(lines)} lines · {shown:,} of {total:,} points{note}"
