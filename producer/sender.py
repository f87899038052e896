"""The SDK's sender: buffers events in memory and encodes them from a thread.

Logging calls only append to in-memory lists under a lock, so they return in
microseconds. Metric points of one run gather into columnar buffers that become one
``MetricsLogged`` event each (up to ``MAX_POINTS_PER_EVENT`` points). Any other event
first seals the run's open point buffer, so the log keeps each run's order. Encoded
batches go to a :class:`~runstream.courier.Courier`, which appends them in order and
spills them to local disk while the log is unreachable.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import threading
import uuid
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runstream.courier import Courier
from runstream.events import Event, encode, now_ms
from runstream.log import EventLog, Record
from runstream.settings import load_settings
from runstream.spill import SpillFolder

logger = logging.getLogger(__name__)

MAX_POINTS_PER_EVENT = 20_000
# How long closing waits for the courier's last append before spilling what is left.
CLOSE_GRACE_S = 5.0


@dataclass
class _Draft:
    event_type: str
    payload: dict[str, Any]
    occurred_at: int = field(default_factory=now_ms)


class _Points:
    """Columnar metric points of one run, not yet sent."""

    __slots__ = (
        "run_id",
        "rank",
        "names",
        "index",
        "name_index",
        "values",
        "steps",
        "times",
        "slots_of",
    )

    def __init__(self, run_id: str, rank: int = 0) -> None:
        self.run_id = run_id
        self.rank = rank
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        # Machine arrays, not lists: 28 bytes a point rather than about 84 (a
        # Python float and int objects per point), which is most of the SDK's
        # memory while the log is down, and packing them is a copy.
        self.name_index = array("i")
        self.values = array("d")
        self.steps = array("q")
        self.times = array("q")
        self.slots_of: dict[tuple[str, ...], array[int]] = {}

    def add(self, key: str, value: float, step: int, timestamp: int) -> None:
        slot = self.index.get(key)
        if slot is None:
            slot = self.index[key] = len(self.names)
            self.names.append(key)
        self.name_index.append(slot)
        self.values.append(value)
        self.steps.append(step)
        self.times.append(timestamp)

    def add_many(
        self, keys: list[str], values: list[float], step: int, timestamp: int
    ) -> None:
        # Training loops log the same set of keys at every step: remember the
        # slots of that set, so a step costs a few list extends, not a loop.
        signature = tuple(keys)
        slots = self.slots_of.get(signature)
        if slots is None:
            slots = array("i", [self._slot(key) for key in keys])
            self.slots_of[signature] = slots
        count = len(keys)
        self.name_index.extend(slots)
        self.values.extend(values)
        self.steps.extend(array("q", (step,)) * count)
        self.times.extend(array("q", (timestamp,)) * count)

    def _slot(self, key: str) -> int:
        slot = self.index.get(key)
        if slot is None:
            slot = self.index[key] = len(self.names)
            self.names.append(key)
        return slot

    def drafts(self) -> list[_Draft]:
        out = []
        for start in range(0, len(self.values), MAX_POINTS_PER_EVENT):
            end = start + MAX_POINTS_PER_EVENT
            index = self.name_index[start:end]
            used = sorted(set(index))
            if used != list(range(len(self.names))):
                # This event carries only the names its points use.
                remap = {old: new for new, old in enumerate(used)}
                index = array("i", [remap[i] for i in index])
            out.append(
                _Draft(
                    "MetricsLogged",
                    {
                        "run_id": self.run_id,
                        "names": [self.names[i] for i in used],
                        "name_index": index,
                        "values": self.values[start:end],
                        "steps": self.steps[start:end],
                        "timestamps": self.times[start:end],
                        "rank": self.rank,
                    },
                )
            )
        return out


class Sender:
    """Buffers events and appends them to an event log from one background thread."""

    def __init__(
        self,
        log_factory: Callable[[], EventLog],
        flush_interval_s: float = 0.2,
        max_buffer_points: int = 500_000,
        rank: int = 0,
        spill_dir: Path | None = None,
        log_down_wait_s: float = 10.0,
    ) -> None:
        self.producer_id = uuid.uuid4().hex
        # Every point this process logs carries its rank (distributed training).
        self.rank = rank
        self._interval = flush_interval_s
        self._max_points = max_buffer_points
        self._log_down_wait_s = log_down_wait_s
        self._lock = threading.Lock()
        self._sent = threading.Condition(self._lock)
        self._pending: list[_Draft | _Points] = []
        self._open: dict[str, _Points] = {}
        self._buffered_points = 0
        self._submitted = 0
        self._delivered = 0
        self._sequence = 0
        self._wake = threading.Event()
        self._closed = False
        # Encoded batches wait for the log in memory up to half the bound; the
        # other half is for points not yet encoded.
        self._courier = Courier(
            log_factory,
            SpillFolder(
                spill_dir or load_settings().spill_location(), self.producer_id
            ),
            max_buffer_points // 2,
            self._progress,
        )
        self._thread = threading.Thread(
            target=self._loop, name="runstream-sender", daemon=True
        )
        self._thread.start()
        atexit.register(self.close)
        # multiprocessing children leave through os._exit, which skips atexit;
        # its own finalizers still run, so register there too.
        multiprocessing.util.Finalize(self, self.close, exitpriority=100)

    # -- called from training code -------------------------------------------------

    def submit(self, event_type: str, payload: dict[str, Any]) -> None:
        key = payload.get("run_id")
        with self._lock:
            if key is not None and key in self._open:
                self._pending.append(self._open.pop(key))
            self._pending.append(_Draft(event_type, payload))
            self._submitted += 1
        self._wake.set()

    def add_point(
        self, run_id: str, key: str, value: float, step: int, timestamp: int
    ) -> None:
        if self._buffered_points >= self._max_points:
            self._wait_for_room()
        with self._lock:
            points = self._open.get(run_id)
            if points is None:
                points = self._open[run_id] = _Points(run_id, self.rank)
                self._submitted += 1
            points.add(key, value, step, timestamp)
            self._buffered_points += 1

    def add_points(
        self,
        run_id: str,
        keys: list[str],
        values: list[float],
        step: int,
        timestamp: int,
    ) -> None:
        """Several points at one step (``keys[i]`` has ``values[i]``), one lock."""
        if self._buffered_points >= self._max_points:
            self._wait_for_room()
        with self._lock:
            buffer = self._open.get(run_id)
            if buffer is None:
                buffer = self._open[run_id] = _Points(run_id, self.rank)
                self._submitted += 1
            buffer.add_many(keys, values, step, timestamp)
            self._buffered_points += len(keys)

    def _wait_for_room(self) -> None:
        # The sender thread encodes the buffers and the courier spills them to
        # disk if the log lags, so this wait is one encoding pass, not the network.
        self._wake.set()
        with self._lock:
            self._sent.wait_for(
                lambda: self._buffered_points < self._max_points or self._closed,
                timeout=60,
            )

    @property
    def last_error(self) -> str | None:
        """Why the last append failed, while the courier is retrying it."""
        return self._courier.last_error

    def flush(self, timeout_s: float = 60.0) -> bool:
        """Wait until everything submitted so far is on the log; False on timeout.

        Raises AuthError (the token lacks the write role) or InvalidInputError
        once the log has refused a batch for good; what was not delivered then
        waits on local disk for the next runstream process that can append.
        """
        done = self._wait_delivered(timeout_s)
        refused = self._courier.refused
        if refused is not None and not done:
            raise type(refused)(
                f"{refused}; the events not delivered wait in "
                f"{self._courier.spill_folder}"
            ) from refused
        return done

    def _wait_delivered(self, timeout_s: float) -> bool:
        with self._lock:
            self._seal_open()
            target = self._submitted
        self._wake.set()
        courier = self._courier
        with self._lock:
            self._sent.wait_for(
                lambda: (
                    self._delivered >= target
                    or courier.refused is not None
                    or courier.failing_for() >= self._log_down_wait_s
                ),
                timeout_s,
            )
            done = self._delivered >= target
            unsent = target - self._delivered
        if done or courier.refused is not None:
            return done
        down_for = courier.failing_for()
        if down_for >= self._log_down_wait_s:
            # Waiting longer helps nobody: training must not hang on a log that
            # is down, and nothing is dropped by going on.
            logger.warning(
                "the event log has failed every append for %.0fs (%s); not waiting "
                "for it (RUNSTREAM_LOG_DOWN_WAIT_S): %d events stay queued and are "
                "retried while this process runs; what is left when it exits waits "
                "in %s for the next runstream process writing to this log",
                down_for,
                self.last_error,
                unsent,
                courier.spill_folder,
            )
        else:
            logger.warning(
                "flush timed out after %.0fs with %d events unsent: %s",
                timeout_s,
                unsent,
                self.last_error,
            )
        return done

    def close(self, timeout_s: float = 60.0) -> None:
        """Wait up to ``timeout_s`` for delivery, then stop; what is left goes to
        local disk, for the next runstream process on this machine to deliver."""
        if self._closed:
            return
        self._wait_delivered(timeout_s)
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=5)
        self._courier.close(CLOSE_GRACE_S)

    # -- the background thread ------------------------------------------------------

    def _seal_open(self) -> None:
        self._pending.extend(self._open.values())
        self._open.clear()

    def _loop(self) -> None:
        while True:
            closing = self._closed
            self._wake.wait(self._interval)
            self._wake.clear()
            with self._lock:
                self._seal_open()
                items, self._pending = self._pending, []
            if items:
                self._send(items)
            if closing:
                return  # after one last pass, so nothing submitted stays behind

    def _send(self, items: list[_Draft | _Points]) -> None:
        records = []
        points = 0
        for item in items:
            drafts = item.drafts() if isinstance(item, _Points) else [item]
            if isinstance(item, _Points):
                points += len(item.values)
            for draft in drafts:
                event = Event(
                    draft.event_type,
                    draft.payload,
                    producer_id=self.producer_id,
                    sequence=self._sequence,
                    occurred_at=draft.occurred_at,
                )
                try:
                    value = encode(event)
                except Exception as e:  # noqa: BLE001 - the thread must live on
                    # The calls check what they take, so this is a bug; one
                    # event lost is better than a dead thread losing all after it.
                    logger.error(
                        "event %s for %s cannot be encoded and is dropped: %r",
                        draft.event_type,
                        draft.payload.get("run_id", "?"),
                        e,
                    )
                    continue
                self._sequence += 1
                records.append(Record(event.topic, event.key, value))
        self._courier.put(records, len(items), points)
        logger.debug("queued events=%d points=%d", len(records), points)

    def _progress(self, items: int, points: int) -> None:
        with self._lock:
            self._delivered += items
            self._buffered_points -= points
            self._sent.notify_all()


def _forget_in_child() -> None:
    # A forked child inherits the parent's sender without its thread; it must
    # build its own, or its events would wait forever.
    from runstream import tracking

    tracking._reset_after_fork()


os.register_at_fork(after_in_child=_forget_in_child)
