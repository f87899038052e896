"""Writes to a run named by its id: validate, then hand an event to the sender.

The fluent API and ``RunstreamClient`` both end here. Nothing in this module knows
which run is active; every rule is checked for the whole call before anything is
sent, so a call that fails has logged nothing.
"""

from __future__ import annotations

import getpass
import logging
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from runstream import validation as v
from runstream.context import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    sender,
    state,
)
from runstream.entities import RUN_STATUSES, Metric, Param, RunInfo, RunTag
from runstream.errors import InvalidInputError
from runstream.events import now_ms

logger = logging.getLogger(__name__)


def create_run(
    experiment_id: str,
    run_name: str,
    parent_run_id: str | None = None,
    start_time: int | None = None,
    tags: Mapping[str, Any] | None = None,
) -> RunInfo:
    """Start a new run: RunStarted, then the tags MLflow sets on every run."""
    if experiment_id == DEFAULT_EXPERIMENT_ID:
        from runstream.experiments import announce_experiment

        announce_experiment(DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME)
    user = getpass.getuser()
    info = RunInfo(uuid.uuid4().hex, experiment_id, run_name, user_id=user)
    if start_time is not None:
        info.start_time = v.check_timestamp("start_time", start_time, info.run_id)
    run_tags = {
        "mlflow.runName": run_name,
        "mlflow.user": user,
        "mlflow.source.name": sys.argv[0] if sys.argv else "",
        "mlflow.source.type": "LOCAL",
        **({"mlflow.parentRunId": parent_run_id} if parent_run_id else {}),
        **(tags or {}),
    }
    checked = _checked_tags(info.run_id, run_tags)
    sender().submit(
        "RunStarted",
        {
            "run_id": info.run_id,
            "experiment_id": experiment_id,
            "run_name": run_name,
            "user": user,
            "start_time": info.start_time,
            "parent_run_id": parent_run_id,
        },
    )
    set_tags(info.run_id, checked)
    return info


def log_metric(
    run_id: str,
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
) -> None:
    v.check_key("metric", key, run_id)
    number = v.check_metric_value(key, value, run_id)
    step = 0 if step is None else v.check_int64("step", key, step, run_id)
    timestamp = (
        now_ms() if timestamp is None else v.check_timestamp(key, timestamp, run_id)
    )
    sender().add_point(run_id, key, number, step, timestamp)


def log_metrics(
    run_id: str,
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
) -> None:
    """Several metrics at one step; all are checked before any is logged."""
    step = 0 if step is None else v.check_int64("step", "*", step, run_id)
    timestamp = (
        now_ms() if timestamp is None else v.check_timestamp("*", timestamp, run_id)
    )
    keys = list(metrics)
    v.check_keys("metric", keys, run_id)
    values = v.check_metric_values(keys, list(metrics.values()), run_id)
    sender().add_points(run_id, keys, values, step, timestamp)


def log_params(run_id: str, params: Mapping[str, Any]) -> None:
    """Params of a run; a param may be logged again only with the same value."""
    checked = _checked_params(run_id, params)
    if checked:
        state.params.setdefault(run_id, {}).update(checked)
        _submit_chunks("ParamsLogged", run_id, checked, v.MAX_PARAMS_PER_BATCH)


def _submit_chunks(
    event_type: str, run_id: str, items: dict[str, str], size: int
) -> None:
    """One event per ``size`` keys: the consumers refuse larger batches, as
    MLflow does, and autolog may log hundreds of params at once."""
    keys = list(items)
    out = sender()
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        out.submit(
            event_type,
            {"run_id": run_id, "keys": chunk, "values": [items[k] for k in chunk]},
        )


def _checked_params(run_id: str, params: Mapping[str, Any]) -> dict[str, str]:
    earlier = state.params.get(run_id, {})
    checked: dict[str, str] = {}
    for key, value in params.items():
        v.check_key("param", key, run_id)
        text = v.check_text("param", key, value, v.MAX_PARAM_VALUE_LENGTH, run_id)
        before = earlier.get(key, checked.get(key))
        if before is not None and before != text:
            raise InvalidInputError(
                f"param {key!r} of run {run_id} was logged as {before!r}; params are "
                f"immutable, so {text!r} is refused (use a new key or a new run)"
            )
        checked[key] = text
    return checked


def set_tags(run_id: str, tags: Mapping[str, Any]) -> None:
    checked = _checked_tags(run_id, tags)
    if checked:
        _submit_chunks("TagsSet", run_id, checked, v.MAX_TAGS_PER_BATCH)


def _checked_tags(run_id: str, tags: Mapping[str, Any]) -> dict[str, str]:
    return {
        v.check_key("tag", key, run_id): v.check_text(
            "tag", key, value, v.MAX_TAG_VALUE_LENGTH, run_id
        )
        for key, value in tags.items()
    }


def delete_tag(run_id: str, key: str) -> None:
    sender().submit(
        "TagDeleted", {"run_id": run_id, "key": v.check_key("tag", key, run_id)}
    )


def log_batch(
    run_id: str,
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
) -> None:
    """Metrics, params and tags in one call, under MLflow's batch limits; all are
    checked before any is sent."""
    v.check_batch(run_id, len(metrics), len(params), len(tags))
    points = [
        (
            v.check_key("metric", m.key, run_id),
            v.check_metric_value(m.key, m.value, run_id),
            v.check_int64("step", m.key, m.step, run_id),
            v.check_timestamp(m.key, m.timestamp, run_id),
        )
        for m in metrics
    ]
    checked_params = _checked_params(run_id, {p.key: p.value for p in params})
    checked_tags = _checked_tags(run_id, {t.key: t.value for t in tags})

    out = sender()
    for key, value, step, timestamp in points:
        out.add_point(run_id, key, value, step, timestamp)
    if checked_params:
        log_params(run_id, checked_params)
    if checked_tags:
        set_tags(run_id, checked_tags)


def set_status(run_id: str, status: str, end_time: int | None = None) -> int | None:
    """Change a run's status; a terminal status gets an end time (now by default)."""
    if status not in RUN_STATUSES:
        raise InvalidInputError(
            f"run status {status!r} for run {run_id} must be one of "
            f"{', '.join(RUN_STATUSES)}"
        )
    if status in ("RUNNING", "SCHEDULED"):
        end_time = None
    elif end_time is None:
        end_time = now_ms()
    sender().submit(
        "RunStatusChanged", {"run_id": run_id, "status": status, "end_time": end_time}
    )
    return end_time


def rename_run(run_id: str, name: str) -> None:
    """Give a run a new name (also its ``mlflow.runName`` tag, as MLflow keeps it)."""
    text = v.check_text("run name", "run_name", name, v.MAX_TAG_VALUE_LENGTH, run_id)
    sender().submit("RunRenamed", {"run_id": run_id, "run_name": text})
    set_tags(run_id, {"mlflow.runName": text})


def delete_run(run_id: str) -> None:
    """Mark a run deleted; searches skip it unless asked for deleted runs."""
    sender().submit("RunDeleted", {"run_id": _run_id(run_id)})


def restore_run(run_id: str) -> None:
    sender().submit("RunRestored", {"run_id": _run_id(run_id)})


def _run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not run_id.strip():
        raise InvalidInputError(
            f"run id {run_id!r} must be a non-empty string, e.g. run.info.run_id"
        )
    return run_id
