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
    call: str = "create_run",
) -> RunInfo:
    """Start a new run: RunStarted, then the tags MLflow sets on every run (and
    ``tags``). Every argument is checked before anything is sent, so a refused
    call leaves no run behind; ``call`` names the caller's function in errors."""
    experiment_id = v.check_experiment_id(experiment_id)
    user = getpass.getuser()
    run_id = uuid.uuid4().hex
    run_name = v.check_text(
        "run name", "run_name", run_name, v.MAX_TAG_VALUE_LENGTH, run_id
    )
    if parent_run_id is not None:
        parent_run_id = v.check_run_id(parent_run_id)
    # No run id in errors: the caller never saw this one.
    extra = dict(v.mapping_items(call, "tags", tags)) if tags is not None else {}
    info = RunInfo(run_id, experiment_id, run_name, user_id=user)
    if start_time is not None:
        info.start_time = v.check_timestamp("start_time", start_time, info.run_id)
    run_tags = {
        "mlflow.runName": run_name,
        "mlflow.user": user,
        "mlflow.source.name": sys.argv[0] if sys.argv else "",
        "mlflow.source.type": "LOCAL",
        **({"mlflow.parentRunId": parent_run_id} if parent_run_id else {}),
        **extra,
    }
    checked = checked_tags(info.run_id, run_tags)

    if experiment_id == DEFAULT_EXPERIMENT_ID:
        from runstream.experiments import announce_experiment

        announce_experiment(DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME)
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
    """One point. ``run_id`` is trusted: this is the hot path, so its callers
    check it (the fluent API's comes from its own active run)."""
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
    """Several metrics at one step; all are checked before any is logged.
    ``run_id`` is trusted, as in ``log_metric``."""
    step = 0 if step is None else v.check_int64("step", "*", step, run_id)
    timestamp = (
        now_ms() if timestamp is None else v.check_timestamp("*", timestamp, run_id)
    )
    try:
        keys = list(metrics)
        values: list[Any] = list(metrics.values())
    except (AttributeError, TypeError):
        # Not a dict. A pandas Series (which iterates its values) still has
        # items(), as MLflow reads it; anything else is refused there.
        pairs = list(
            v.mapping_items("log_metrics", "metrics", metrics, f" for run {run_id}")
        )
        keys = [key for key, _ in pairs]
        values = [value for _, value in pairs]
    v.check_keys("metric", keys, run_id)
    numbers = v.check_metric_values(keys, values, run_id)
    sender().add_points(run_id, keys, numbers, step, timestamp)


def log_params(run_id: str, params: Mapping[str, Any]) -> None:
    """Params of a run; a param may be logged again only with the same value."""
    checked = _checked_params(v.check_run_id(run_id), params)
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
    where = f" for run {run_id}"
    for key, value in v.mapping_items("log_params", "params", params, where):
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
    checked = checked_tags(v.check_run_id(run_id), tags)
    if checked:
        _submit_chunks("TagsSet", run_id, checked, v.MAX_TAGS_PER_BATCH)


def checked_tags(
    run_id: str, tags: Mapping[str, Any], call: str = "set_tags"
) -> dict[str, str]:
    """``tags`` as text, once every key and value passed; nothing is sent."""
    return {
        v.check_key("tag", key, run_id): v.check_text(
            "tag", key, value, v.MAX_TAG_VALUE_LENGTH, run_id
        )
        for key, value in v.mapping_items(call, "tags", tags, f" for run {run_id}")
    }


def delete_tag(run_id: str, key: str) -> None:
    run_id = v.check_run_id(run_id)
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
    run_id = v.check_run_id(run_id)
    metrics = _entities(run_id, "metrics", metrics, Metric)
    params = _entities(run_id, "params", params, Param)
    tags = _entities(run_id, "tags", tags, RunTag)
    v.check_batch(run_id, len(metrics), len(params), len(tags))
    try:
        points = [
            (
                v.check_key("metric", m.key, run_id),
                v.check_metric_value(m.key, m.value, run_id),
                v.check_int64("step", m.key, m.step, run_id),
                v.check_timestamp(m.key, m.timestamp, run_id),
            )
            for m in metrics
        ]
        param_values = {p.key: p.value for p in params}
        tag_values = {t.key: t.value for t in tags}
    except AttributeError:
        # Looked for only now, so that a good batch pays nothing for the check.
        for name, items, kind in (
            ("metrics", metrics, Metric),
            ("params", params, Param),
            ("tags", tags, RunTag),
        ):
            _refuse_non_entities(run_id, name, items, kind)
        raise
    checked_params = _checked_params(run_id, param_values)
    checked = checked_tags(run_id, tag_values)

    out = sender()
    for key, value, step, timestamp in points:
        out.add_point(run_id, key, value, step, timestamp)
    if checked_params:
        log_params(run_id, checked_params)
    if checked:
        set_tags(run_id, checked)


_BATCH_FIELDS: dict[type, tuple[str, ...]] = {
    Metric: ("key", "value", "timestamp", "step"),
    Param: ("key", "value"),
    RunTag: ("key", "value"),
}


def _entities(run_id: str, argument: str, items: object, kind: type) -> Sequence[Any]:
    """A list or tuple as it is; another iterable (a generator) as a list. A
    mapping or text is refused: its items would be keys or characters."""
    if isinstance(items, (list, tuple)):
        return items
    if isinstance(items, (Mapping, str, bytes)) or not hasattr(items, "__iter__"):
        raise _not_entities(run_id, argument, items, kind)
    return list(items)  # type: ignore[call-overload]


def _refuse_non_entities(
    run_id: str, argument: str, items: Sequence[Any], kind: type
) -> None:
    for index, item in enumerate(items):
        if not all(hasattr(item, field) for field in _BATCH_FIELDS[kind]):
            raise _not_entities(run_id, f"{argument}[{index}]", item, kind, one=True)


def _not_entities(
    run_id: str, argument: str, value: object, kind: type, one: bool = False
) -> InvalidInputError:
    fields = ", ".join(_BATCH_FIELDS[kind])
    expected = (
        f"runstream.{kind.__name__}({fields})"
        if one
        else f"a list of runstream.{kind.__name__}({fields})"
    )
    return v.wrong_type("log_batch", argument, expected, value, f" for run {run_id}")


def set_status(run_id: str, status: str, end_time: int | None = None) -> int | None:
    """Change a run's status; a terminal status gets an end time (now by default)."""
    run_id = v.check_run_id(run_id)
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
    run_id = v.check_run_id(run_id)
    text = v.check_text("run name", "run_name", name, v.MAX_TAG_VALUE_LENGTH, run_id)
    sender().submit("RunRenamed", {"run_id": run_id, "run_name": text})
    set_tags(run_id, {"mlflow.runName": text})


def delete_run(run_id: str) -> None:
    """Mark a run deleted; searches skip it unless asked for deleted runs."""
    sender().submit("RunDeleted", {"run_id": v.check_run_id(run_id)})


def restore_run(run_id: str) -> None:
    sender().submit("RunRestored", {"run_id": v.check_run_id(run_id)})
