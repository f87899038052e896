"""Turning the API's JSON into what the pages show: numbers, times and tables.

Pure functions without Streamlit, so they are tested directly.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

logger = logging.getLogger(__name__)

RUN_COLUMNS = ("Run", "Status", "Started", "Duration")
# How tables show times (Streamlit's column format, day.js tokens).
DATETIME_FORMAT = "YYYY-MM-DD HH:mm:ss"


def metric_value(value: float | int | str | None) -> float:
    """A metric value from the API as a float; NaN and infinities come back."""
    if value is None:
        return math.nan
    # JSON cannot carry non-finite floats, so the API sends them by name; float()
    # reads exactly those names.
    try:
        return float(value)
    except ValueError:
        logger.debug("metric value %r is not a number", value)
        return math.nan


def timezone(name: str | None) -> ZoneInfo:
    """The browser's time zone when known and valid, else UTC."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        logger.debug("unknown time zone %r, showing UTC", name)
        return ZoneInfo("UTC")


def to_datetime(ms: int | None, tz: ZoneInfo) -> datetime | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(tz)


def format_time(ms: int | None, tz: ZoneInfo) -> str:
    moment = to_datetime(ms, tz)
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "—"


def format_duration(seconds: float | None) -> str:
    """``1h 02m 03s``-style; exact seconds matter less than a glance."""
    if seconds is None or seconds < 0:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s"


def run_duration_s(run: Mapping[str, Any], now_ms: int) -> float | None:
    """How long the run took, or has taken so far while it is active."""
    start = run.get("start_time")
    if start is None:
        return None
    end = run.get("end_time") or (now_ms if run.get("status") == "RUNNING" else None)
    return None if end is None else (end - start) / 1000


def experiments_frame(
    experiments: Sequence[Mapping[str, Any]], tz: ZoneInfo
) -> pd.DataFrame:
    rows = [
        {
            "Name": e["name"],
            "ID": e["experiment_id"],
            "Stage": e["lifecycle_stage"],
            "Created": to_datetime(e.get("creation_time"), tz),
            "Updated": to_datetime(e.get("last_update_time"), tz),
        }
        for e in experiments
    ]
    return pd.DataFrame(rows, columns=["Name", "ID", "Stage", "Created", "Updated"])


def runs_frame(
    runs: Sequence[Mapping[str, Any]], tz: ZoneInfo, now_ms: int
) -> pd.DataFrame:
    """One row per run: its name, status and times, then ``params.<key>`` and
    ``metrics.<key>`` columns, as in MLflow's runs table."""
    param_keys = _union(r["params"] for r in runs)
    metric_keys = _union(r["metrics"] for r in runs)
    rows = []
    for run in runs:
        row: dict[str, Any] = {
            "Run": run["run_name"] or run["run_id"][:8],
            "Status": run["status"],
            "Started": to_datetime(run.get("start_time"), tz),
            "Duration": format_duration(run_duration_s(run, now_ms)),
        }
        row.update({f"params.{k}": run["params"].get(k) for k in param_keys})
        row.update(
            {f"metrics.{k}": metric_value(run["metrics"].get(k)) for k in metric_keys}
        )
        rows.append(row)
    columns = [
        *RUN_COLUMNS,
        *(f"params.{k}" for k in param_keys),
        *(f"metrics.{k}" for k in metric_keys),
    ]
    return pd.DataFrame(rows, columns=columns)


def key_value_frame(values: Mapping[str, Any]) -> pd.DataFrame:
    """A two-column table, sorted by key; values as text so mixed types line up."""
    rows = [{"Key": k, "Value": str(values[k])} for k in sorted(values)]
    return pd.DataFrame(rows, columns=["Key", "Value"])


def latest_metrics_frame(metrics: Mapping[str, Any]) -> pd.DataFrame:
    rows = [{"Key": k, "Latest": metric_value(metrics[k])} for k in sorted(metrics)]
    return pd.DataFrame(rows, columns=["Key", "Latest"])


def matching_keys(keys: Iterable[str], pattern: str) -> list[str]:
    """Keys containing ``pattern`` (case-insensitive), or matching it as a regular
    expression when it is one; an empty pattern matches everything."""
    keys = sorted(keys)
    pattern = pattern.strip()
    if not pattern:
        return keys
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error:
        lowered = pattern.lower()
        return [k for k in keys if lowered in k.lower()]
    return [k for k in keys if regex.search(k)]


def _union(mappings: Iterable[Mapping[str, Any]]) -> list[str]:
    keys: set[str] = set()
    for mapping in mappings:
        keys.update(mapping)
    return sorted(keys)


def format_size(size: int) -> str:
    """Bytes in the largest unit that keeps the number at or above one."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GiB"
