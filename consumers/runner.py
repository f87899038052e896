"""The consumer loop: poll the log, project, then commit.

Positions are committed only after the projection write succeeded. A record that
cannot be decoded, or whose event breaks one of MLflow's rules (``rules.py``), goes
to the dead-letter topic with the reason and its original position, and the loop
goes on: one bad record never blocks its partition.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from runstream.consumers import rules
from runstream.consumers.projector import Projector
from runstream.errors import EventDecodeError, EventLogError, StoreError
from runstream.events import (
    DEAD_LETTER_TOPIC,
    REGISTRY_TOPIC,
    TRACKING_TOPIC,
    Event,
    decode,
)
from runstream.log import EventLog, LogConsumer, LogRecord, Position, Record

logger = logging.getLogger(__name__)

MAX_BATCH_RECORDS = 2_000
RETRY_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)

T = TypeVar("T")


class ProjectionRunner:
    """Runs the tracking projection over one consumer of the log."""

    def __init__(
        self,
        log: EventLog,
        projector: Projector,
        group_id: str,
        topics: Sequence[str] = (TRACKING_TOPIC, REGISTRY_TOPIC),
        max_batch_records: int = MAX_BATCH_RECORDS,
    ) -> None:
        self.log = log
        self.max_batch_records = max_batch_records
        self.projector = projector
        self.group_id = group_id
        self.topics = list(topics)
        self.consumer: LogConsumer = log.consumer(group_id, self.topics)
        self.applied_events = 0
        self.dead_lettered = 0
        self.last_error: str | None = None
        self._applied: dict[tuple[str, int], int] = self._load_applied()
        # Signalled whenever _applied moves, for writers waiting to read their writes.
        self._applied_moved = threading.Condition()
        self._assigned: frozenset[tuple[str, int]] = frozenset()
        # Records sent to the dead-letter topic in a batch not yet applied: when
        # the write fails and the batch is read again, they are not sent twice.
        self._refused: set[Position] = set()

    def _load_applied(self) -> dict[tuple[str, int], int]:
        store = self.projector.store
        rows = store.query(
            f"SELECT topic, partition, offset FROM {store.table('positions')} FINAL"
        )
        return {(r["topic"], r["partition"]): r["offset"] for r in rows}

    def run_once(self, timeout_s: float = 0.5) -> int:
        """Poll one batch and apply it; return how many records it held."""
        records = self.consumer.poll(self.max_batch_records, timeout_s)
        self._follow_assignment()
        if not records:
            return 0
        batch = self._decode(records)
        self._write_with_retry(batch, records)
        # Applied: a crash from here on re-reads none of these records.
        self._refused.clear()
        self.consumer.commit(_last_per_partition(records))
        self.applied_events += len(batch)
        return len(records)

    def _follow_assignment(self) -> None:
        """When partitions move between members of the group, what this process
        cached about their runs may have been changed by another member since."""
        assigned = self.consumer.assignment()
        if assigned == self._assigned:
            return
        logger.info(
            "partitions assigned group=%s partitions=%s",
            self.group_id,
            sorted(f"{t}/{p}" for t, p in assigned),
        )
        if self._assigned:
            self.projector = Projector(self.projector.store, self.projector.blobs)
            with self._applied_moved:
                self._applied = self._load_applied()
        self._assigned = assigned

    def _decode(self, records: Sequence[LogRecord]) -> list[tuple[Position, Event]]:
        decoded: list[tuple[LogRecord, Event]] = []
        for record in records:
            pos = record.position
            if self._applied.get((pos.topic, pos.partition), -1) >= pos.offset:
                continue  # written before a crash that came ahead of the commit
            try:
                decoded.append((record, decode(record.value)))
            except EventDecodeError as e:
                self._dead_letter(record, str(e))
        # Events that break MLflow's rules are refused whole, like undecodable ones.
        # A read of the store, retried as the write is: the store may be down.
        kept, refused = self._retrying(
            "check", lambda: rules.screen(self.projector.store, decoded)
        )
        for record, reason in refused:
            self._dead_letter(record, reason)
        return [(record.position, event) for record, event in kept]

    def _dead_letter(self, record: LogRecord, reason: str) -> None:
        pos = record.position
        if pos in self._refused:
            return  # sent when this batch was read before its write failed
        logger.error(
            "refused record topic=%s partition=%d offset=%d: %s; sent to %s",
            pos.topic,
            pos.partition,
            pos.offset,
            reason,
            DEAD_LETTER_TOPIC,
        )
        letter = {
            "reason": reason,
            "topic": pos.topic,
            "partition": pos.partition,
            "offset": pos.offset,
            "key": record.key,
            "value_base64": base64.b64encode(record.value).decode(),
        }
        self.log.append(
            [Record(DEAD_LETTER_TOPIC, record.key, json.dumps(letter).encode())]
        )
        self._refused.add(pos)
        self.dead_lettered += 1

    def _write_with_retry(
        self, batch: list[tuple[Position, Event]], records: Sequence[LogRecord]
    ) -> None:
        last = _last_per_partition(records)

        def write() -> None:
            self.projector.apply(batch)
            self._record_applied(last)

        self._retrying("write", write)

    def _retrying(self, what: str, action: Callable[[], T]) -> T:
        """``action``, tried again with backoff while the store fails; the last
        failure is raised, so that the batch is read again from the log."""
        attempts = len(RETRY_BACKOFF_S) + 1
        attempt = 0
        while True:
            attempt += 1
            try:
                result = action()
            except StoreError as e:
                self.last_error = str(e)
                if attempt == attempts:
                    logger.warning(
                        "projection %s failed, attempt %d/%d: %s",
                        what,
                        attempt,
                        attempts,
                        e,
                    )
                    raise
                pause = RETRY_BACKOFF_S[attempt - 1]
                logger.warning(
                    "projection %s failed, attempt %d/%d, retrying in %.1fs: %s",
                    what,
                    attempt,
                    attempts,
                    pause,
                    e,
                )
                time.sleep(pause)
            else:
                self.last_error = None
                return result

    def _record_applied(self, positions: Sequence[Position]) -> None:
        self.projector.store.insert(
            "positions",
            {
                "topic": [p.topic for p in positions],
                "partition": [p.partition for p in positions],
                "offset": [p.offset for p in positions],
            },
        )
        with self._applied_moved:
            for p in positions:
                self._applied[(p.topic, p.partition)] = p.offset
            self._applied_moved.notify_all()

    def wait_applied(self, positions: Sequence[Position], timeout_s: float) -> bool:
        """Block until every position is applied (read-your-writes for a writer
        that appended them); False if ``timeout_s`` passed first."""

        def applied() -> bool:
            return all(
                self._applied.get((p.topic, p.partition), -1) >= p.offset
                for p in positions
            )

        wake = getattr(self.consumer, "wake", None)
        if wake is not None:
            wake()
        with self._applied_moved:
            return self._applied_moved.wait_for(applied, timeout=timeout_s)

    def lag(self) -> dict[tuple[str, int], int]:
        return self.consumer.lag()

    def run_forever(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set. A batch that fails is read again from the
        committed positions, however long the store or the log stays down: nothing
        of it was committed, so nothing of it is lost."""
        logger.info("projection consumer started group=%s", self.group_id)
        rewind = False
        while not stop.is_set():
            try:
                if rewind:
                    # Inside the try: with the log down, joining it again fails
                    # too, and the loop must outlive that as well.
                    self._rewind()
                    rewind = False
                self.run_once()
            except (StoreError, EventLogError) as e:  # a store or the log is down
                logger.error(
                    "projection batch not applied; reading it again from the "
                    "committed positions in %.1fs: %s",
                    RETRY_BACKOFF_S[-1],
                    e,
                )
                self.last_error = str(e)
                rewind = True
                stop.wait(RETRY_BACKOFF_S[-1])
            except Exception as e:  # the loop must outlive any one bad batch
                logger.exception("projection batch failed; retrying: %s", e)
                self.last_error = str(e)
                rewind = True
                stop.wait(RETRY_BACKOFF_S[-1])
        self.consumer.close()
        logger.info("projection consumer stopped group=%s", self.group_id)

    def _rewind(self) -> None:
        """Start again from the committed positions, so the failed batch is re-read."""
        self.consumer.close()
        self.consumer = self.log.consumer(self.group_id, self.topics)


def _last_per_partition(records: Sequence[LogRecord]) -> list[Position]:
    last: dict[tuple[str, int], Position] = {}
    for record in records:
        pos = record.position
        last[(pos.topic, pos.partition)] = pos
    return list(last.values())
