"""MLflow's rules checked again where events are projected.

The SDK checks every rule before it sends, but the log takes events from anyone
(other SDK versions, the REST API, a hand-written producer). An event that breaks a
rule is refused whole, with the reason, and goes to the dead-letter topic; the
projections never see it. The rules are the SDK's own (``runstream.validation``),
so both ends agree on them.

Params are immutable, which no single event can show: ``screen`` compares each
ParamsLogged with the values already projected and with earlier events of the
same batch.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from runstream import validation as v
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.errors import InvalidInputError
from runstream.events import Event

logger = logging.getLogger(__name__)

T = TypeVar("T")
RUN_STATUSES = frozenset({"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"})
# MetricsLogged is the SDK's own batching of points (up to 20,000 a batch), not
# MLflow's log_batch call, so only its keys and numbers are held to the rules.
MAX_POINTS_PER_EVENT = 100_000


def violation(event: Event) -> str | None:
    """The first rule ``event`` breaks, or None."""
    check = _CHECKS.get(event.event_type)
    if check is None:
        return None
    try:
        check(event.payload)
    except InvalidInputError as e:
        return f"{event.event_type} breaks a rule: {e}"
    return None


def screen(
    store: ClickHouseStore, items: Sequence[tuple[T, Event]]
) -> tuple[list[tuple[T, Event]], list[tuple[T, str]]]:
    """Split events into those that keep every rule and (item, reason) for the
    rest; ``T`` is whatever the caller needs back (the log record)."""
    kept: list[tuple[T, Event]] = []
    refused: list[tuple[T, str]] = []
    for item, event in items:
        reason = violation(event)
        if reason is None:
            kept.append((item, event))
        else:
            refused.append((item, reason))
    params = [e for _, e in kept if e.event_type == "ParamsLogged"]
    if not params:
        return kept, refused

    known = _projected_params(store, {e.payload["run_id"] for e in params})
    final: list[tuple[T, Event]] = []
    for item, event in kept:
        is_params = event.event_type == "ParamsLogged"
        reason = _param_conflict(event, known) if is_params else None
        if reason is None:
            final.append((item, event))
        else:
            refused.append((item, reason))
    return final, refused


def _projected_params(
    store: ClickHouseStore, run_ids: set[str]
) -> dict[tuple[str, str], str]:
    rows = store.query(
        f"SELECT run_id, key, value FROM {store.table('params')} FINAL "
        "WHERE run_id IN {run_ids:Array(String)}",
        {"run_ids": sorted(run_ids)},
    )
    return {(r["run_id"], r["key"]): r["value"] for r in rows}


def _param_conflict(event: Event, known: dict[tuple[str, str], str]) -> str | None:
    p = event.payload
    run_id = p["run_id"]
    for key, value in zip(p["keys"], p["values"], strict=True):
        before = known.get((run_id, key))
        if before is not None and before != value:
            return (
                f"ParamsLogged breaks a rule: param {key!r} of run {run_id} is "
                f"{before!r}; params are immutable, so {value!r} is refused"
            )
    # Only an event that is kept may bind values for the events after it.
    for key, value in zip(p["keys"], p["values"], strict=True):
        known[(run_id, key)] = value
    return None


# -- one check per event type ----------------------------------------------------------


def _same_length(p: dict[str, Any], run_id: str, *names: str) -> None:
    lengths = {name: len(p[name]) for name in names}
    if len(set(lengths.values())) > 1:
        raise InvalidInputError(
            f"columns of run {run_id} differ in length: {lengths}; every column "
            "must hold one entry per item"
        )


def _metrics(p: dict[str, Any]) -> None:
    run_id = p["run_id"]
    _same_length(p, run_id, "name_index", "values", "steps", "timestamps")
    if len(p["values"]) > MAX_POINTS_PER_EVENT:
        raise InvalidInputError(
            f"{len(p['values'])} points in one event for run {run_id}; the limit is "
            f"{MAX_POINTS_PER_EVENT}"
        )
    for name in p["names"]:
        v.check_key("metric", name, run_id)
    # numpy reads the decoded columns' buffers; min() would make a Python number
    # of every point.
    index = np.asarray(p["name_index"], dtype=np.int64)
    if index.size and not 0 <= index.min() <= index.max() < len(p["names"]):
        raise InvalidInputError(
            f"a point of run {run_id} names no metric key (name_index out of range)"
        )
    timestamps = np.asarray(p["timestamps"], dtype=np.int64)
    if timestamps.size and timestamps.min() < 0:
        raise InvalidInputError(
            f"a timestamp of run {run_id} is negative; timestamps are milliseconds "
            "since the epoch, >= 0"
        )
    if p.get("rank", 0) < 0:
        raise InvalidInputError(f"rank {p['rank']} of run {run_id} must be >= 0")


def _key_values(kind: str, limit: int) -> Callable[[dict[str, Any]], None]:
    def check(p: dict[str, Any]) -> None:
        run_id = p["run_id"]
        _same_length(p, run_id, "keys", "values")
        if kind == "param":
            v.check_batch(run_id, 0, len(p["keys"]), 0)
        else:
            v.check_batch(run_id, 0, 0, len(p["keys"]))
        for key, value in zip(p["keys"], p["values"], strict=True):
            v.check_key(kind, key, run_id)
            v.check_text(kind, key, value, limit, run_id)

    return check


def _tag_deleted(p: dict[str, Any]) -> None:
    v.check_key("tag", p["key"], p["run_id"])


def _status(p: dict[str, Any]) -> None:
    if p["status"] not in RUN_STATUSES:
        raise InvalidInputError(
            f"status {p['status']!r} of run {p['run_id']} must be one of "
            f"{', '.join(sorted(RUN_STATUSES))}"
        )


def _run_started(p: dict[str, Any]) -> None:
    if p["start_time"] < 0:
        raise InvalidInputError(f"start_time of run {p['run_id']} must be >= 0")


def _experiment_name(p: dict[str, Any]) -> None:
    v.check_experiment_name(p["name"])


def _experiment_tag(p: dict[str, Any]) -> None:
    eid = p["experiment_id"]
    v.check_key("tag", p["key"], eid, owner="experiment")
    if "value" in p:
        v.check_text(
            "tag", p["key"], p["value"], v.MAX_TAG_VALUE_LENGTH, eid, "experiment"
        )


def _artifact(p: dict[str, Any]) -> None:
    run_id = p["run_id"]
    v.check_key("artifact", p["path"], run_id)
    content = p["content"]
    if content is None:
        return
    if len(content) != p["size"] or hashlib.sha256(content).hexdigest() != p["sha256"]:
        raise InvalidInputError(
            f"artifact {p['path']!r} of run {run_id} does not match its size or "
            "sha256; log the file again"
        )


_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "MetricsLogged": _metrics,
    "ParamsLogged": _key_values("param", v.MAX_PARAM_VALUE_LENGTH),
    "TagsSet": _key_values("tag", v.MAX_TAG_VALUE_LENGTH),
    "TagDeleted": _tag_deleted,
    "RunStatusChanged": _status,
    "RunStarted": _run_started,
    "ExperimentCreated": _experiment_name,
    "ExperimentRenamed": _experiment_name,
    "ExperimentTagSet": _experiment_tag,
    "ExperimentTagDeleted": _experiment_tag,
    "ArtifactLogged": _artifact,
}
