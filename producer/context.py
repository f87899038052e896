"""The SDK's per-process state: where it writes, its sender, the active runs.

Every SDK module reads the one ``state`` object; after a fork the child clears it in
place (its parent's sender thread did not come along), so references stay valid.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from runstream.errors import InvalidInputError
from runstream.log import check_location, open_log
from runstream.sender import Sender
from runstream.settings import Ranks, Settings, detect_ranks, load_settings
from runstream.spill import destination_folder

if TYPE_CHECKING:
    from runstream.tracking import ActiveRun

logger = logging.getLogger(__name__)

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._settings: Settings | None = None
        self.ranks: Ranks = detect_ranks()
        self.tracking_uri: str | None = None
        self.sender: Sender | None = None
        self.experiment_id = DEFAULT_EXPERIMENT_ID
        self.experiment_name = DEFAULT_EXPERIMENT_NAME
        self.announced: set[str] = set()
        self.runs: list[ActiveRun] = []
        self.ended: dict[str, ActiveRun] = {}
        self.last: ActiveRun | None = None
        # Params this process logged per run: params are immutable, so a second
        # value for a key is refused before it is sent.
        self.params: dict[str, dict[str, str]] = {}

    @property
    def settings(self) -> Settings:
        # Read on first use, not at import: a bad RUNSTREAM_* value then fails the
        # call that needs it with InvalidInputError, and `import runstream` (so
        # every CLI command, `--help` included) still works.
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value


state = State()

# Called, oldest first, before the sender closes at exit; see ``before_close``.
_close_hooks: list[Callable[[], None]] = []
# The process whose multiprocessing finalizers already hold ``close_at_exit``.
_finalizer_pid: int | None = None


def reset_after_fork() -> None:
    """Forget the parent's sender and runs; keep where to write and the experiment."""
    uri, experiment = state.tracking_uri, (state.experiment_id, state.experiment_name)
    state.__init__()  # type: ignore[misc]
    state.tracking_uri = uri
    state.experiment_id, state.experiment_name = experiment


def before_close(hook: Callable[[], None]) -> None:
    """Run ``hook`` at exit while the sender still delivers (to end the runs)."""
    if hook not in _close_hooks:
        _close_hooks.append(hook)


def close_at_exit() -> None:
    """The one way out: the hooks first (their events still go out), then the
    sender, which delivers or spills what is left. Both exit paths call it,
    whichever comes first: atexit, and multiprocessing's finalizers, which a
    spawned child runs before atexit and a forked child instead of it."""
    for hook in _close_hooks:
        try:
            hook()
        except Exception as e:  # exiting must go on whatever one hook does
            logger.warning("exit hook %s failed: %s", hook, e)
    close_sender()


def close_sender(timeout_s: float = 60.0) -> None:
    """Close the sender: wait up to ``timeout_s`` for delivery, then spill what
    is left to disk. A later write makes a new sender."""
    with state.lock:
        current, state.sender = state.sender, None
    if current is not None:
        current.close(timeout_s)


def _register_close_at_exit() -> None:
    global _finalizer_pid
    register_exit_last(close_at_exit)
    if _finalizer_pid != os.getpid():
        _finalizer_pid = os.getpid()
        # Above the sender's own finalizer (100), so the runs end before it closes.
        multiprocessing.util.Finalize(None, close_at_exit, exitpriority=101)


def sender() -> Sender:
    with state.lock:
        if state.sender is None:
            location = get_tracking_uri()
            partitions = state.settings.partitions
            # Refused here, in the caller's first logging call, rather than by the
            # sender's thread once events are queued for a log that cannot be.
            check_location(location)
            state.sender = Sender(
                lambda: open_log(location, partitions),
                flush_interval_s=state.settings.flush_interval_s,
                max_buffer_points=state.settings.max_buffer_points,
                rank=state.ranks.rank,
                spill_dir=_spill_folder(location),
                log_down_wait_s=state.settings.log_down_wait_s,
            )
            _register_close_at_exit()
        return state.sender


def _spill_folder(location: str) -> Path:
    root = state.settings.spill_location()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InvalidInputError(
            f"the spill folder {str(root)!r} cannot be made: {e.strerror or e}; set "
            "RUNSTREAM_SPILL_DIR (or RUNSTREAM_HOME) to a folder this process can "
            "write"
        ) from e
    return root / destination_folder(location)


def set_tracking_uri(uri: str | Path) -> None:
    """Write to ``uri`` from now on (a local path is the embedded SQLite log)."""
    with state.lock:
        if state.sender is not None:
            state.sender.close()
            state.sender = None
        state.tracking_uri = str(uri)
        state.announced.clear()


def get_tracking_uri() -> str:
    return state.tracking_uri or state.settings.log_location()


def flush(timeout_s: float = 60.0) -> bool:
    """Wait until everything logged so far is on the event log."""
    return sender().flush(timeout_s)


def settings() -> Settings:
    """The settings this process runs with, the tracking URI as set."""
    return state.settings.model_copy(update={"tracking_uri": get_tracking_uri()})


def register_exit_last(handler: Callable[[], None]) -> None:
    """Make ``handler`` the next exit handler to run (atexit runs newest first),
    so it still finds the sender open."""
    atexit.unregister(handler)
    atexit.register(handler)
