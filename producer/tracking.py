"""The fluent tracking API: ``import runstream; runstream.start_run() ...``.

Every call validates its input, turns it into an event for the sender, and returns.
Nothing waits for the network except ``end_run`` and ``flush``.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import random
import sys
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from runstream import validation as v
from runstream.blobs import artifact_key, open_blob_store
from runstream.errors import InvalidInputError, RunNotActiveError
from runstream.events import now_ms
from runstream.log import open_log
from runstream.sender import Sender
from runstream.settings import Settings, load_settings

logger = logging.getLogger(__name__)

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
RUN_ID_VARIABLE = "RUNSTREAM_RUN_ID"
# Files up to this size travel inside their ArtifactLogged event, so a replay of
# the log alone can rebuild them; larger ones go straight to the blob store.
INLINE_ARTIFACT_LIMIT = 4 * 1024 * 1024
TERMINAL_STATUSES = ("FINISHED", "FAILED", "KILLED")


@dataclass
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    status: str = "RUNNING"
    start_time: int = field(default_factory=now_ms)
    end_time: int | None = None


class ActiveRun:
    """A run started by this process; as a context manager it ends the run,
    FINISHED on a clean exit and FAILED when an exception escapes."""

    def __init__(self, info: RunInfo) -> None:
        self.info = info
        self.params: dict[str, str] = {}

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.info.status not in TERMINAL_STATUSES:
            status = "FINISHED" if exc_type is None else "FAILED"
            if exc_type is KeyboardInterrupt:
                status = "KILLED"
            _end(self, status)


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.settings: Settings = load_settings()
        self.tracking_uri: str | None = None
        self.sender: Sender | None = None
        self.experiment_id = DEFAULT_EXPERIMENT_ID
        self.experiment_name = DEFAULT_EXPERIMENT_NAME
        self.announced: set[str] = set()
        self.runs: list[ActiveRun] = []
        self.ended: dict[str, ActiveRun] = {}
        self.last: ActiveRun | None = None


_state = _State()


def _reset_after_fork() -> None:
    global _state
    old = _state
    _state = _State()
    _state.tracking_uri = old.tracking_uri
    _state.experiment_id, _state.experiment_name = (
        old.experiment_id,
        old.experiment_name,
    )


def _sender() -> Sender:
    with _state.lock:
        if _state.sender is None:
            location = get_tracking_uri()
            partitions = _state.settings.partitions
            _state.sender = Sender(
                lambda: open_log(location, partitions),
                flush_interval_s=_state.settings.flush_interval_s,
                max_buffer_points=_state.settings.max_buffer_points,
            )
        return _state.sender


# -- where to write ------------------------------------------------------------------


def set_tracking_uri(uri: str | Path) -> None:
    """Write to ``uri`` from now on (a local path is the embedded SQLite log)."""
    with _state.lock:
        if _state.sender is not None:
            _state.sender.close()
            _state.sender = None
        _state.tracking_uri = str(uri)
        _state.announced.clear()


def get_tracking_uri() -> str:
    return _state.tracking_uri or _state.settings.log_location()


def flush(timeout_s: float = 60.0) -> bool:
    """Wait until everything logged so far is on the event log."""
    return _sender().flush(timeout_s)


# -- experiments ---------------------------------------------------------------------


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str


def experiment_id_for(name: str) -> str:
    """Experiment ids derive from the name, so every process that sets the same
    experiment agrees on its id without asking a server."""
    if name == DEFAULT_EXPERIMENT_NAME:
        return DEFAULT_EXPERIMENT_ID
    digest = hashlib.sha256(name.encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**18)


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active for new runs, creating it if needed."""
    if experiment_name is None and experiment_id is None:
        raise InvalidInputError("set_experiment needs experiment_name or experiment_id")
    if experiment_name is not None:
        if not experiment_name.strip():
            raise InvalidInputError("experiment name must not be empty")
        if len(experiment_name) > v.MAX_EXPERIMENT_NAME_LENGTH:
            raise InvalidInputError(
                f"experiment name has {len(experiment_name)} characters; "
                f"the limit is {v.MAX_EXPERIMENT_NAME_LENGTH}"
            )
        experiment_id = experiment_id_for(experiment_name)
        _announce_experiment(experiment_id, experiment_name)
    with _state.lock:
        _state.experiment_id = str(experiment_id)
        _state.experiment_name = experiment_name or ""
    return Experiment(str(experiment_id), experiment_name or "")


def _announce_experiment(experiment_id: str, name: str) -> None:
    with _state.lock:
        if experiment_id in _state.announced:
            return
        _state.announced.add(experiment_id)
    _sender().submit(
        "ExperimentCreated",
        {"experiment_id": experiment_id, "name": name, "artifact_location": ""},
    )


# -- runs ----------------------------------------------------------------------------

_ADJECTIVES = ("brave", "calm", "eager", "fast", "gentle", "keen", "lucid", "bold")
_NOUNS = ("otter", "falcon", "lynx", "heron", "panda", "orca", "ibis", "wolf")


def _generate_run_name() -> str:
    return (
        f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(1, 999)}"
    )


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    parent_run_id: str | None = None,
) -> ActiveRun:
    """Start a new run, or resume ``run_id`` (also read from RUNSTREAM_RUN_ID).

    Several processes may resume the same run id at once and log into it; each
    point keeps its own key, so per-rank keys (``rank0/loss``) stay apart.
    """
    with _state.lock:
        if _state.runs and not nested:
            raise InvalidInputError(
                f"run {_state.runs[-1].info.run_id} is already active; end it first "
                "or pass nested=True to start a child run"
            )
        if nested and _state.runs and parent_run_id is None:
            parent_run_id = _state.runs[-1].info.run_id
    run_id = run_id or os.environ.get(RUN_ID_VARIABLE)
    sender = _sender()
    if run_id:
        info = RunInfo(run_id, experiment_id or _state.experiment_id, run_name or "")
        sender.submit(
            "RunStatusChanged",
            {"run_id": run_id, "status": "RUNNING", "end_time": None},
        )
    else:
        experiment_id = experiment_id or _state.experiment_id
        if experiment_id == DEFAULT_EXPERIMENT_ID:
            _announce_experiment(DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME)
        info = RunInfo(
            uuid.uuid4().hex, experiment_id, run_name or _generate_run_name()
        )
        user = getpass.getuser()
        sender.submit(
            "RunStarted",
            {
                "run_id": info.run_id,
                "experiment_id": experiment_id,
                "run_name": info.run_name,
                "user": user,
                "start_time": info.start_time,
                "parent_run_id": parent_run_id,
            },
        )
        system_tags = {
            "mlflow.runName": info.run_name,
            "mlflow.user": user,
            "mlflow.source.name": sys.argv[0] if sys.argv else "",
            "mlflow.source.type": "LOCAL",
        }
        if parent_run_id:
            system_tags["mlflow.parentRunId"] = parent_run_id
        set_tags({**system_tags, **(tags or {})}, run_id=info.run_id)
    run = ActiveRun(info)
    with _state.lock:
        _state.runs.append(run)
        _state.last = run
    if run_id and tags:
        set_tags(tags, run_id=run_id)
    logger.info(
        "run started run_id=%s experiment_id=%s", info.run_id, info.experiment_id
    )
    return run


def active_run() -> ActiveRun | None:
    """The innermost run this process started and has not ended, if any."""
    with _state.lock:
        return _state.runs[-1] if _state.runs else None


def last_active_run() -> ActiveRun | None:
    """The run most recently started by this process, active or ended; useful
    after autolog started and ended a run of its own."""
    return _state.last


def end_run(status: str = "FINISHED") -> None:
    """End the active run with ``status`` and wait until its events are on the log."""
    run = active_run()
    if run is not None:
        _end(run, status)


def _end(run: ActiveRun, status: str) -> None:
    if status not in TERMINAL_STATUSES:
        raise InvalidInputError(
            f"run status {status!r} must be one of {', '.join(TERMINAL_STATUSES)}"
        )
    run.info.status = status
    run.info.end_time = now_ms()
    sender = _sender()
    sender.submit(
        "RunStatusChanged",
        {"run_id": run.info.run_id, "status": status, "end_time": run.info.end_time},
    )
    with _state.lock:
        if run in _state.runs:
            _state.runs.remove(run)
        _state.ended[run.info.run_id] = run
    sender.flush()
    logger.info("run ended run_id=%s status=%s", run.info.run_id, status)


def _run_for(run_id: str | None) -> ActiveRun:
    """The run a logging call writes to: ``run_id`` if given, else the active run
    (started on demand, as MLflow does)."""
    if run_id is not None:
        ended = _state.ended.get(run_id)
        if ended is not None:
            _raise_ended(ended)
        for run in _state.runs:
            if run.info.run_id == run_id:
                return run
        return ActiveRun(RunInfo(run_id, "", ""))
    current = active_run()
    return current if current is not None else start_run()


def _raise_ended(run: ActiveRun) -> None:
    raise RunNotActiveError(
        f"run {run.info.run_id} has ended with status {run.info.status}; "
        "start a new run, or resume it with start_run(run_id=...)"
    )


# -- logging -------------------------------------------------------------------------


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log one metric point; it returns at once."""
    run = _run_for(run_id)
    rid = run.info.run_id
    v.check_key("metric", key, rid)
    number = v.check_metric_value(key, value, rid)
    step = 0 if step is None else v.check_int64("step", key, step, rid)
    timestamp = (
        now_ms() if timestamp is None else v.check_timestamp(key, timestamp, rid)
    )
    _sender().add_point(rid, key, number, step, timestamp)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log several metrics at one step; all are checked before any is logged."""
    run = _run_for(run_id)
    rid = run.info.run_id
    step = 0 if step is None else v.check_int64("step", "*", step, rid)
    timestamp = (
        now_ms() if timestamp is None else v.check_timestamp("*", timestamp, rid)
    )
    checked = [
        (v.check_key("metric", key, rid), v.check_metric_value(key, value, rid))
        for key, value in metrics.items()
    ]
    sender = _sender()
    for key, number in checked:
        sender.add_point(rid, key, number, step, timestamp)


def log_param(key: str, value: Any, run_id: str | None = None) -> Any:
    log_params({key: value}, run_id=run_id)
    return value


def log_params(params: Mapping[str, Any], run_id: str | None = None) -> None:
    """Log parameters; a parameter may be logged again only with the same value."""
    run = _run_for(run_id)
    rid = run.info.run_id
    checked: dict[str, str] = {}
    for key, value in params.items():
        v.check_key("param", key, rid)
        text = v.check_text("param", key, value, v.MAX_PARAM_VALUE_LENGTH, rid)
        earlier = run.params.get(key)
        if earlier is not None and earlier != text:
            raise InvalidInputError(
                f"param {key!r} of run {rid} was logged as {earlier!r}; params are "
                f"immutable, so {text!r} is refused (use a new key or a new run)"
            )
        checked[key] = text
    run.params.update(checked)
    if checked:
        _sender().submit(
            "ParamsLogged",
            {"run_id": rid, "keys": list(checked), "values": list(checked.values())},
        )


def set_tag(key: str, value: Any, run_id: str | None = None) -> None:
    set_tags({key: value}, run_id=run_id)


def set_tags(tags: Mapping[str, Any], run_id: str | None = None) -> None:
    rid = run_id or _run_for(None).info.run_id
    if run_id is not None:
        _run_for(run_id)
    checked = {
        v.check_key("tag", key, rid): v.check_text(
            "tag", key, value, v.MAX_TAG_VALUE_LENGTH, rid
        )
        for key, value in tags.items()
    }
    if checked:
        _sender().submit(
            "TagsSet",
            {"run_id": rid, "keys": list(checked), "values": list(checked.values())},
        )


def delete_tag(key: str, run_id: str | None = None) -> None:
    rid = _run_for(run_id).info.run_id
    _sender().submit("TagDeleted", {"run_id": rid, "key": v.check_key("tag", key, rid)})


def log_artifact(
    local_path: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Log a file under the run's artifacts, in ``artifact_path`` if given."""
    run = _run_for(run_id)
    rid = run.info.run_id
    source = Path(local_path)
    if not source.is_file():
        raise InvalidInputError(
            f"artifact {str(source)!r} for run {rid} is not a file; pass the path "
            "of an existing file"
        )
    path = f"{artifact_path.strip('/')}/{source.name}" if artifact_path else source.name
    v.check_key("artifact", path, rid)
    data = source.read_bytes()
    inline = len(data) <= INLINE_ARTIFACT_LIMIT
    if not inline:
        settings = _state.settings.model_copy(
            update={"tracking_uri": get_tracking_uri()}
        )
        blobs = open_blob_store(settings.artifacts_location())
        blobs.put(artifact_key(rid, path), data)
    _sender().submit(
        "ArtifactLogged",
        {
            "run_id": rid,
            "path": path,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "content": data if inline else None,
        },
    )
