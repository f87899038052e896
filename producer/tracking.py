"""The fluent tracking API: ``import runstream; runstream.start_run() ...``.

Every call validates its input, turns it into an event for the sender, and returns.
Nothing waits for the network except ``end_run`` and ``flush``. Which run a call
writes to is decided here (the active run, started on demand, as MLflow does);
the writes themselves live in ``writes.py``, ``artifacts.py`` and
``experiments.py``.
"""

from __future__ import annotations

import logging
import random
import re
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from runstream import artifacts, writes
from runstream import validation as v
from runstream.context import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    before_close,
    close_sender,
    flush,
    get_tracking_uri,
    reset_after_fork,
    sender,
    set_tracking_uri,
    state,
)
from runstream.entities import (
    TERMINAL_STATUSES,
    Experiment,
    Metric,
    Param,
    RunInfo,
    RunTag,
)
from runstream.errors import InvalidInputError, RunNotActiveError, RunstreamError
from runstream.experiments import (
    announce_experiment,
    experiment_id_for,
    set_experiment,
)
from runstream.settings import load_settings
from runstream.system_metrics import SystemMetricsMonitor, system_metrics_wanted

logger = logging.getLogger(__name__)

RUN_ID_VARIABLE = "RUNSTREAM_RUN_ID"
# How long SIGTERM waits for the log before spilling to disk: a scheduler that
# sent it kills the job for good soon after (Kubernetes' default grace is 30 s).
SIGTERM_GRACE_S = 3.0
INLINE_ARTIFACT_LIMIT = artifacts.INLINE_ARTIFACT_LIMIT

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "DEFAULT_EXPERIMENT_NAME",
    "ActiveRun",
    "Experiment",
    "RunInfo",
    "experiment_id_for",
    "flush",
    "get_tracking_uri",
    "set_experiment",
    "set_tracking_uri",
]


class ActiveRun:
    """A run this process started or resumed; as a context manager it ends the
    run, FINISHED on a clean exit, KILLED on Ctrl-C and FAILED on any other
    exception."""

    def __init__(self, info: RunInfo, owns_status: bool = True) -> None:
        self.info = info
        # Only one writer of a distributed run (rank 0) moves its status.
        self.owns_status = owns_status
        self.monitor: SystemMetricsMonitor | None = None

    @property
    def params(self) -> dict[str, str]:
        """Params this process logged to the run."""
        return state.params.setdefault(self.info.run_id, {})

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.info.status not in TERMINAL_STATUSES:
            _end(self, _status_for(exc_type))


def _status_for(exc_type: type[BaseException] | None) -> str:
    if exc_type is None or issubclass(exc_type, SystemExit):
        return "FINISHED"
    return "KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED"


def _reset_after_fork() -> None:
    reset_after_fork()


# Kept under its old name for callers outside this module (projects).
_announce_experiment = announce_experiment


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
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run, or resume ``run_id`` (also read from RUNSTREAM_RUN_ID).

    Many processes may resume one run at once: each process's points carry its
    rank (RANK / WORLD_SIZE / LOCAL_RANK), and only rank 0 changes the run's
    status, so a worker that finishes early does not end the run for the others.
    """
    with state.lock:
        if state.runs and not nested:
            raise InvalidInputError(
                f"run {state.runs[-1].info.run_id} is already active; end it first "
                "or pass nested=True to start a child run"
            )
        if nested and state.runs and parent_run_id is None:
            parent_run_id = state.runs[-1].info.run_id
    if run_id is None and not state.runs:
        run_id = load_settings().run_id or None
    _install_exit_handlers()
    # Tags are checked with the run's other arguments, before its first event:
    # a refused start_run leaves no run behind.
    extra = dict(v.mapping_items("start_run", "tags", tags)) if tags is not None else {}
    if description is not None:
        extra["mlflow.note.content"] = description
    if run_id:
        run = _resume(run_id, experiment_id, run_name, extra)
    else:
        run = _create(experiment_id, run_name, parent_run_id, extra)
    with state.lock:
        state.runs.append(run)
        state.last = run
    if system_metrics_wanted(log_system_metrics):
        run.monitor = SystemMetricsMonitor(run.info.run_id)
        run.monitor.start()
    logger.info(
        "run started run_id=%s experiment_id=%s rank=%d",
        run.info.run_id,
        run.info.experiment_id,
        state.ranks.rank,
    )
    return run


# What runstream (and MLflow) make run ids of: uuid4's 32 hex digits. A resumed id
# cannot be looked up without a server, and events for an id nobody started would
# make a run no experiment lists, so a mistyped one is caught by its shape here.
_RUN_ID = re.compile(r"[0-9a-f]{32}")


def _resume(
    run_id: str,
    experiment_id: str | None,
    run_name: str | None,
    tags: dict[str, Any],
) -> ActiveRun:
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise InvalidInputError(
            f"cannot resume run {run_id!r}: run ids are 32 lowercase hexadecimal "
            "digits, as run.info.run_id of the run start_run returned; check the "
            "run_id passed to start_run or RUNSTREAM_RUN_ID"
        )
    checked = writes.checked_tags(run_id, tags)
    experiment = _experiment_or_active(experiment_id)
    info = RunInfo(run_id, experiment, str(run_name or ""))
    owns_status = state.ranks.rank == 0
    if owns_status:
        writes.set_status(run_id, "RUNNING")
    if checked:
        writes.set_tags(run_id, checked)
    return ActiveRun(info, owns_status)


def _create(
    experiment_id: str | None,
    run_name: str | None,
    parent_run_id: str | None,
    tags: dict[str, Any],
) -> ActiveRun:
    info = writes.create_run(
        _experiment_or_active(experiment_id),
        run_name or _generate_run_name(),
        parent_run_id=parent_run_id,
        tags=tags,
        call="start_run",
    )
    return ActiveRun(info)


def _experiment_or_active(experiment_id: object) -> str:
    # TODO: an id of no experiment is taken (MLflow answers RESOURCE_DOES_NOT_EXIST):
    # the SDK does not read before it writes; the consumer could dead-letter it.
    # Not `experiment_id or ...`: the int 0 names the Default experiment.
    if experiment_id is None or (isinstance(experiment_id, str) and not experiment_id):
        return state.experiment_id
    return v.check_experiment_id(experiment_id)


def active_run() -> ActiveRun | None:
    """The innermost run this process started and has not ended, if any."""
    with state.lock:
        return state.runs[-1] if state.runs else None


def last_active_run() -> ActiveRun | None:
    """The run most recently started by this process, active or ended; useful
    after autolog started and ended a run of its own."""
    return state.last


def end_run(status: str = "FINISHED") -> None:
    """End the active run with ``status`` and wait until its events are on the log.

    Raises AuthError if the log refuses this process's token (its events then
    wait on local disk; see ``flush``)."""
    run = active_run()
    if run is not None:
        _end(run, status)


def _end(run: ActiveRun, status: str, wait: bool = True) -> None:
    if status not in TERMINAL_STATUSES:
        raise InvalidInputError(
            f"run status {status!r} must be one of {', '.join(TERMINAL_STATUSES)}"
        )
    if run.monitor is not None:
        run.monitor.stop()
    run.info.status = status
    if run.owns_status:
        run.info.end_time = writes.set_status(run.info.run_id, status)
    with state.lock:
        if run in state.runs:
            state.runs.remove(run)
        state.ended[run.info.run_id] = run
    if wait:
        sender().flush()
    logger.info("run ended run_id=%s status=%s", run.info.run_id, status)


def _run_for(run_id: str | None) -> ActiveRun:
    """The run a logging call writes to: ``run_id`` if given, else the active run
    (started on demand, as MLflow does)."""
    if run_id is not None:
        ended = state.ended.get(v.check_run_id(run_id))
        if ended is not None:
            raise RunNotActiveError(
                f"run {run_id} has ended with status {ended.info.status}; "
                "start a new run, or resume it with start_run(run_id=...)"
            )
        for started in state.runs:
            if started.info.run_id == run_id:
                return started
        return ActiveRun(RunInfo(run_id, "", ""))
    current = active_run()
    return current if current is not None else start_run()


def _rid(run_id: str | None) -> str:
    return _run_for(run_id).info.run_id


def set_run_name(name: str, run_id: str | None = None) -> None:
    run = _run_for(run_id)
    writes.rename_run(run.info.run_id, name)
    run.info.run_name = name


def delete_run(run_id: str) -> None:
    """Mark a run deleted (``restore_run`` brings it back)."""
    writes.delete_run(run_id)


def restore_run(run_id: str) -> None:
    writes.restore_run(run_id)


# -- exceptions, signals and exit ----------------------------------------------------

_exit_lock = threading.Lock()
_exit_installed = False
_uncaught: type[BaseException] | None = None


def _install_exit_handlers() -> None:
    """End runs left open at exit (FAILED after an uncaught exception) and on
    SIGTERM (KILLED), as a scheduler stopping a job would want."""
    global _exit_installed
    with _exit_lock:
        if _exit_installed:
            return
        _exit_installed = True
    before_close(_end_runs_at_exit)
    previous_hook = sys.excepthook

    def remember(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        global _uncaught
        _uncaught = kind
        previous_hook(kind, exc, tb)

    sys.excepthook = remember
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _on_sigterm(previous))


def _on_sigterm(previous: Any) -> Any:
    # TODO: a SIGTERM that lands while the main thread holds the sender's lock
    # (inside a logging call) deadlocks here; hand the work to a thread instead.
    def handler(signum: int, frame: FrameType | None) -> None:
        logger.warning("SIGTERM received; ending active runs as KILLED")
        _end_all("KILLED", wait=False)
        if callable(previous):
            _flush_briefly()
            previous(signum, frame)
        else:
            # The default action skips atexit, so close the sender here: it
            # delivers for a few seconds, then spills the rest to disk for the
            # next runstream process on this machine.
            close_sender(SIGTERM_GRACE_S)
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    return handler


def _flush_briefly() -> None:
    try:
        sender().flush(SIGTERM_GRACE_S)
    except RunstreamError as e:  # refused for good: spilled, and said so
        logger.warning("events not delivered before SIGTERM's handler: %s", e)


def _end_runs_at_exit() -> None:
    # No wait per run: closing the sender next waits once for all of them.
    _end_all(_status_for(_uncaught), wait=False)


def _end_all(status: str, wait: bool) -> None:
    while (run := active_run()) is not None:
        try:
            _end(run, status, wait)
        except Exception as e:  # exiting must go on whatever one run does
            logger.warning("could not end run %s: %s", run.info.run_id, e)
            with state.lock:
                if run in state.runs:
                    state.runs.remove(run)


# -- logging -------------------------------------------------------------------------


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log one metric point; it returns at once."""
    writes.log_metric(_rid(run_id), key, value, step, timestamp)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Log several metrics at one step; all are checked before any is logged."""
    writes.log_metrics(_rid(run_id), metrics, step, timestamp)


def log_param(key: str, value: Any, run_id: str | None = None) -> Any:
    log_params({key: value}, run_id=run_id)
    return value


def log_params(params: Mapping[str, Any], run_id: str | None = None) -> None:
    """Log parameters; a parameter may be logged again only with the same value."""
    writes.log_params(_rid(run_id), params)


def set_tag(key: str, value: Any, run_id: str | None = None) -> None:
    set_tags({key: value}, run_id=run_id)


def set_tags(tags: Mapping[str, Any], run_id: str | None = None) -> None:
    writes.set_tags(_rid(run_id), tags)


def delete_tag(key: str, run_id: str | None = None) -> None:
    writes.delete_tag(_rid(run_id), key)


def log_batch(
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
    run_id: str | None = None,
) -> None:
    """Up to 1,000 metrics, 100 params and 100 tags in one call."""
    writes.log_batch(_rid(run_id), metrics, params, tags)


# -- artifacts -----------------------------------------------------------------------


def log_artifact(
    local_path: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Log a file under the run's artifacts, in ``artifact_path`` if given."""
    artifacts.log_file(_rid(run_id), local_path, artifact_path)


def log_artifacts(
    local_dir: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Log every file of a folder, keeping its layout."""
    artifacts.log_folder(_rid(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    artifacts.log_text(_rid(run_id), text, artifact_file)


def log_dict(
    dictionary: Mapping[str, Any], artifact_file: str, run_id: str | None = None
) -> None:
    artifacts.log_dict(_rid(run_id), dictionary, artifact_file)


def log_figure(figure: Any, artifact_file: str, run_id: str | None = None) -> None:
    artifacts.log_figure(_rid(run_id), figure, artifact_file)


def log_image(image: Any, artifact_file: str, run_id: str | None = None) -> None:
    artifacts.log_image(_rid(run_id), image, artifact_file)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    artifacts.log_table(_rid(run_id), data, artifact_file)
