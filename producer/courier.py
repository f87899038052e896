"""Delivers the SDK's encoded batches to the event log, in order, from one thread.

Batches wait in a queue, oldest first: in memory while they fit the memory bound,
on local disk (:mod:`runstream.spill`) beyond it, so training never waits for a log
that is down. A failed append is retried, never dropped; when some records of a
batch did reach the log, only the rest is sent again. A refusal that sending again
cannot change (a token without the write role, a request the log rejects) stops
delivery instead: every batch goes to disk for a later process, and ``refused``
says why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runstream.errors import (
    AuthError,
    EventLogError,
    InvalidInputError,
    PartialAppendError,
)
from runstream.log import EventLog, Record
from runstream.spill import SpillFolder, read_batch

logger = logging.getLogger(__name__)

RETRY_BACKOFF_S = (0.1, 0.5, 1.0, 2.0, 5.0)

Progress = Callable[[int, int], None]
"""Called with (items delivered, points released from memory)."""

# Answers that stay the same however often a batch is sent again: retrying them
# would hold every batch in memory and make flush wait for nothing.
REFUSALS = (AuthError, InvalidInputError)


@dataclass
class _Batch:
    sequence: int
    items: int
    points: int
    records: list[Record] | None = None  # None while it is on disk
    path: Path | None = None


class Courier:
    """The queue of batches between the SDK's sender and the event log."""

    def __init__(
        self,
        log_factory: Callable[[], EventLog],
        spill: SpillFolder,
        memory_points: int,
        on_progress: Progress,
    ) -> None:
        self._log_factory = log_factory
        self._log: EventLog | None = None
        self._spill = spill
        self._memory_bound = memory_points
        self._on_progress = on_progress
        self._queue: deque[_Batch] = deque()
        self._memory_points = 0
        self._sequence = 0
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self.last_error: str | None = None
        # When the appends now failing began failing (monotonic), None while the
        # last one went through: how long the log has been down.
        self._failing_since: float | None = None
        self.refused: AuthError | InvalidInputError | None = None
        self._adopt()
        self._thread = threading.Thread(
            target=self._loop, name="runstream-courier", daemon=True
        )
        self._thread.start()

    def _adopt(self) -> None:
        try:
            paths = self._spill.adopt_orphans(first_sequence=0)
        except OSError as e:
            logger.warning("could not adopt undelivered batches: %s", e)
            return
        for path in paths:
            self._queue.append(_Batch(self._sequence, 0, 0, path=path))
            self._sequence += 1

    @property
    def spill_folder(self) -> Path:
        return self._spill.folder

    def failing_for(self) -> float:
        """Seconds every append has failed for; 0 while the log takes them."""
        since = self._failing_since
        return 0.0 if since is None else time.monotonic() - since

    def put(self, records: list[Record], items: int, points: int) -> None:
        """Queue a batch behind every earlier one; to disk if memory is full."""
        with self._cond:
            batch = _Batch(self._sequence, items, points, records)
            self._sequence += 1
            on_disk = any(b.path is not None for b in self._queue)
            full = self._memory_points + points > self._memory_bound
            if on_disk or full or self.refused is not None:
                self._to_disk(batch)
            else:
                self._memory_points += points
            self._queue.append(batch)
            self._cond.notify_all()

    def _to_disk(self, batch: _Batch) -> None:
        assert batch.records is not None
        batch.path = self._spill.write(
            batch.sequence, batch.records, batch.items, batch.points
        )
        batch.records = None
        logger.debug("spilled batch=%d points=%d", batch.sequence, batch.points)
        # The points left memory, though not yet the process: flush still waits.
        self._on_progress(0, batch.points)

    def _loop(self) -> None:
        attempt = 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._stopping.is_set())
                if not self._queue:
                    return
                head = self._queue[0]
            try:
                self._deliver(head)
            except REFUSALS as e:
                self._stop_on_refusal(e)
                return
            except (EventLogError, OSError) as e:
                # OSError: a local log or a spilled batch on a disk that failed;
                # like a log that is down, it may pass, and nothing is dropped.
                self.last_error = str(e)
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                attempt += 1
                pause = RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S)) - 1]
                logger.warning(
                    "appending batch %d failed, attempt %d (retried until the log "
                    "is back), next in %.1fs: %s",
                    head.sequence,
                    attempt,
                    pause,
                    e,
                )
                # Lets a flush that waits see how long the log has been down.
                self._on_progress(0, 0)
                if self._stopping.wait(pause):
                    return
                continue
            attempt = 0
            self.last_error = None
            self._failing_since = None
            with self._cond:
                self._queue.popleft()
                released = head.points if head.path is None else 0
                self._memory_points -= released
            if head.path is not None:
                self._spill.remove(head.path)
            self._on_progress(head.items, released)

    def _stop_on_refusal(self, error: AuthError | InvalidInputError) -> None:
        with self._cond:
            self.refused = error
            self.last_error = str(error)
            for batch in self._queue:
                if batch.path is None:
                    self._memory_points -= batch.points
                    self._to_disk(batch)
            first, left = self._queue[0].sequence, len(self._queue)
        # TODO: a new sender in this same process does not adopt these batches
        # (their folder's owner is alive); only a later process delivers them.
        fix = (
            "set RUNSTREAM_TOKEN to a token with the write role"
            if isinstance(error, AuthError)
            else "fix RUNSTREAM_TRACKING_URI or the cause above"
        )
        logger.error(
            "the event log refused batch %d, so this process stops sending and "
            "keeps batches=%d in %s: %s. To deliver them, %s; the next runstream "
            "process on this machine that can append sends them",
            first,
            left,
            self._spill.folder,
            error,
            fix,
        )
        # Wakes flush, which now raises the refusal instead of waiting.
        self._on_progress(0, 0)

    def _deliver(self, batch: _Batch) -> None:
        if batch.records is None:
            assert batch.path is not None
            batch.records, _, _ = read_batch(batch.path)
        if self._log is None:
            self._log = self._log_factory()
        try:
            self._log.append(batch.records)
        except PartialAppendError as e:
            batch.records = _not_appended(batch.records, e.appended)
            raise
        logger.debug(
            "delivered batch=%d records=%d", batch.sequence, len(batch.records)
        )

    def close(self, timeout_s: float) -> None:
        """Stop delivering; what is still queued goes to disk for a later process."""
        with self._cond:
            self._stopping.set()
            self._cond.notify_all()
        self._thread.join(timeout_s)
        with self._cond:
            left = list(self._queue)
            for batch in left:
                if batch.path is None:
                    self._to_disk(batch)
        if left:
            logger.warning(
                "%d batches not delivered to the event log (%s); they stay in %s and "
                "the next runstream process on this machine delivers them",
                len(left),
                self.last_error,
                self._spill.folder,
            )
        self._spill.close()
        if self._log is not None:
            self._log.close()


def _not_appended(records: list[Record], appended: list[object]) -> list[Record]:
    """The records to send again: from each key's first failed record on, so
    every run keeps its order even if a later record of it went through."""
    first_failed: dict[tuple[str, str], int] = {}
    for i, (record, position) in enumerate(zip(records, appended, strict=True)):
        if position is None:
            first_failed.setdefault((record.topic, record.key), i)
    return [
        r
        for i, r in enumerate(records)
        if i >= first_failed.get((r.topic, r.key), len(records))
    ]
