"""What the charts do to series before drawing them: smoothing, the x axis, and
per-rank grouping. Pure functions without Streamlit, so they are tested directly.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

logger = logging.getLogger(__name__)

XMode = Literal["step", "timestamp", "relative"]
X_MODES: dict[str, str] = {
    "step": "step",
    "timestamp": "time",
    "relative": "relative time",
}

# "rank3/loss": the key of one worker's series, as multi-worker runs log them.
_RANK_KEY = re.compile(r"^rank(?P<rank>\d+)/(?P<rest>.+)$")


@dataclass(frozen=True)
class ChartOptions:
    x_mode: XMode = "step"
    smoothing: float = 0.0
    """0 draws the points as they are; towards 1 the line gets smoother."""
    log_y: bool = False
    per_rank: bool = True


@dataclass(frozen=True)
class ChartSpec:
    """One chart: its title and the (label, key) of each line on it."""

    title: str
    lines: tuple[tuple[str, str], ...]


def chart_specs(keys: Sequence[str], per_rank: bool) -> list[ChartSpec]:
    """A chart per key; with ``per_rank``, the keys of two or more ranks that end
    alike (``rank0/loss``, ``rank1/loss``) share one chart with a line per rank,
    placed where its first key was."""
    ranks: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for key in keys:
        if per_rank and (match := _RANK_KEY.match(key)):
            ranks[match["rest"]].append((int(match["rank"]), key))

    specs: list[ChartSpec] = []
    drawn: set[str] = set()
    for key in keys:
        match = _RANK_KEY.match(key) if per_rank else None
        group = ranks.get(match["rest"], []) if match else []
        if len(group) < 2:
            specs.append(ChartSpec(key, ((key, key),)))
        elif match and match["rest"] not in drawn:
            drawn.add(match["rest"])
            lines = tuple((f"rank{rank}", k) for rank, k in sorted(group))
            specs.append(ChartSpec(f"{match['rest']} (per rank)", lines))
    return specs


def ema(values: Iterable[float], weight: float) -> list[float]:
    """Exponential moving average, debiased so the start is not pulled to zero;
    a NaN stays a gap and does not disturb the points after it."""
    if weight <= 0:
        return list(values)
    smoothed: list[float] = []
    last = 0.0
    count = 0
    for value in values:
        if not math.isfinite(value):
            smoothed.append(math.nan)
            continue
        count += 1
        last = last * weight + (1 - weight) * value
        smoothed.append(last / (1 - weight**count))
    return smoothed


def x_values(series: dict[str, Any], mode: XMode, start_ms: int | None) -> list[Any]:
    """The x of each point: steps, epoch milliseconds, or seconds since
    ``start_ms`` (the run's start, else its first point)."""
    xs: list[int] = list(series["x"])
    if mode != "relative":
        return list(xs)
    origin = start_ms if start_ms is not None else (xs[0] if xs else 0)
    return [(x - origin) / 1000 for x in xs]


def api_axis(mode: XMode) -> Literal["step", "timestamp"]:
    """What to ask the API to sort and downsample by for this x mode."""
    return "step" if mode == "step" else "timestamp"
