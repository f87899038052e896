"""Plotly figures for metric series as the API returns them."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from runstream.dashboard.frames import metric_value

logger = logging.getLogger(__name__)

CHART_HEIGHT = 260
# Below this many points each one gets a marker, so a short series stays visible.
_MARKER_LIMIT = 50


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
