"""Figures and tables that put runs side by side. Pure functions of the API's run
JSON, without Streamlit, so they are tested directly."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from runstream.dashboard.frames import metric_value

logger = logging.getLogger(__name__)

Run = Mapping[str, Any]


def run_label(run: Run) -> str:
    return f"{run['run_name'] or run['run_id'][:8]} ({run['run_id'][:6]})"


def compare_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """One column per run, a row per attribute, param and latest metric; values as
    text so that mixed types line up."""
    rows: dict[str, dict[str, str]] = {}
    for run in runs:
        label = run_label(run)
        rows.setdefault("status", {})[label] = run["status"]
        for key, value in run["params"].items():
            rows.setdefault(f"params.{key}", {})[label] = str(value)
        for key, value in run["metrics"].items():
            rows.setdefault(f"metrics.{key}", {})[label] = f"{metric_value(value):.6g}"
    params = sorted(k for k in rows if k.startswith("params."))
    metrics = sorted(k for k in rows if k.startswith("metrics."))
    order = ["status", *params, *metrics]
    frame = pd.DataFrame.from_dict({k: rows[k] for k in order}, orient="index")
    frame = frame.reindex(columns=[run_label(r) for r in runs]).fillna("")
    return frame.rename_axis("").reset_index()


def numeric(value: Any) -> float | None:
    """A param's value as a number, if it reads as one."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _dimension(label: str, values: list[Any]) -> dict[str, Any]:
    """A parallel-coordinates axis: numeric if every value is, else categories."""
    numbers = [numeric(v) for v in values]
    if all(n is not None for n in numbers):
        return {"label": label, "values": numbers}
    categories = sorted({str(v) for v in values})
    index = {c: i for i, c in enumerate(categories)}
    return {
        "label": label,
        "values": [index[str(v)] for v in values],
        "tickvals": list(range(len(categories))),
        "ticktext": categories,
    }


def parallel_coordinates(
    runs: Sequence[Run], params: Sequence[str], metric: str
) -> go.Figure:
    """An axis per param and one for ``metric``, a line per run coloured by the
    metric; runs without the metric are left out."""
    kept = [r for r in runs if math.isfinite(metric_value(r["metrics"].get(metric)))]
    dimensions = [
        _dimension(param, [r["params"].get(param, "—") for r in kept])
        for param in params
    ]
    scores = [metric_value(r["metrics"][metric]) for r in kept]
    dimensions.append({"label": metric, "values": scores})
    figure = go.Figure(
        go.Parcoords(
            line={"color": scores, "colorscale": "Viridis", "showscale": True},
            dimensions=dimensions,
        )
    )
    figure.update_layout(height=380, margin={"l": 60, "r": 60, "t": 50, "b": 30})
    return figure


def param_scatter(runs: Sequence[Run], param: str, metric: str) -> go.Figure:
    """``metric`` against ``param``, a point per run, labelled by run."""
    kept = [
        r
        for r in runs
        if param in r["params"]
        and math.isfinite(metric_value(r["metrics"].get(metric)))
    ]
    xs = [r["params"][param] for r in kept]
    numbers = [numeric(x) for x in xs]
    x: list[Any] = numbers if all(n is not None for n in numbers) else xs
    figure = go.Figure(
        go.Scatter(
            x=x,
            y=[metric_value(r["metrics"][metric]) for r in kept],
            mode="markers+text",
            text=[run_label(r) for r in kept],
            textposition="top center",
            marker={"size": 11},
        )
    )
    figure.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title=f"params.{param}",
        yaxis_title=f"metrics.{metric}",
        title={"text": f"{metric} vs {param}", "font": {"size": 14}},
    )
    return figure
