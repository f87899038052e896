"""The event log as a replay reads it.

A replay runs the ordinary :class:`ProjectionRunner` over this view of the live
log. The view drops records past a cutoff (a moment, or a position) and past a
limit (the end of the log when the replay was told to stop), remembers how far it
has read in each partition, and keeps the replay out of the live log's way: it
commits nothing for its consumer group (the replay's own ``positions`` table is
its record) and appends no dead letters (the live consumer sent them already).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from runstream.errors import InvalidInputError
from runstream.events import TRACKING_TOPIC
from runstream.log import EventLog, LogConsumer, LogRecord, Position, Record

logger = logging.getLogger(__name__)

Slot = tuple[str, int]

_POSITION = re.compile(r"^(?:(?P<topic>[^:\s]+):)?(?P<partition>\d+):(?P<offset>\d+)$")
_EPOCH_MS = re.compile(r"^\d{10,}$")
REPLAY_BATCH_RECORDS = 20_000


@dataclass(frozen=True)
class Cutoff:
    """Where an as-of replay stops: records appended to the log at or before
    ``time_ms``; on the partition of ``position``, the records up to it."""

    time_ms: int
    position: Position | None = None

    def includes(self, record: LogRecord) -> bool:
        at = record.position
        if self.position is not None and (at.topic, at.partition) == (
            self.position.topic,
            self.position.partition,
        ):
            return at.offset <= self.position.offset
        # TODO: a time cuts by when a record was appended, which the event history
        # does not show; events spilled and delivered later land after the cut.
        return record.appended_at <= self.time_ms


def parse_cutoff(text: str, log: EventLog) -> Cutoff:
    """``--until``: a position ``[topic:]partition:offset``, an ISO-8601 time (UTC
    unless it says otherwise) or milliseconds since the epoch."""
    text = text.strip()
    if match := _POSITION.match(text):
        position = Position(
            match["topic"] or TRACKING_TOPIC,
            int(match["partition"]),
            int(match["offset"]),
        )
        return Cutoff(_appended_at(log, position), position)
    if _EPOCH_MS.match(text):
        return Cutoff(int(text))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"--until {text!r} is neither a position nor a time: give "
            "'partition:offset' (e.g. '3:1200', as the event history shows), an "
            "ISO-8601 time such as '2026-12-03T10:15:00Z', or epoch milliseconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Cutoff(int(moment.timestamp() * 1000))


def _appended_at(log: EventLog, position: Position) -> int:
    """When the record at ``position`` reached the log: the moment the other
    partitions are cut at."""
    read = getattr(log, "read", None)
    if read is None:
        # TODO: positions as cutoffs on logs that cannot read one record (Kafka).
        raise InvalidInputError(
            "this event log cannot look up one record, so --until needs a time here"
        )
    records: list[LogRecord] = read(
        position.topic, position.partition, position.offset, 1
    )
    if not records or records[0].position != position:
        end = log.end_offsets(position.topic).get(position.partition)
        raise InvalidInputError(
            f"no record at {position.topic}:{position.partition}:{position.offset} "
            f"(that partition's next offset is {end}); pick a position from a run's "
            "event history"
        )
    return records[0].appended_at


class ReplayLog:
    """An :class:`EventLog` over the live one, for one replay's runner."""

    def __init__(self, log: EventLog, cutoff: Cutoff | None = None) -> None:
        self.log = log
        self.cutoff = cutoff
        self.limit: dict[Slot, int] | None = None
        """Exclusive end offsets; records at or past them are dropped."""
        self.read_to: dict[Slot, int] = {}
        """The next offset to read, per partition."""
        self.dead_letters = 0

    def end_offsets(self, topic: str) -> dict[int, int]:
        return self.log.end_offsets(topic)

    def ends(self, topics: Sequence[str]) -> dict[Slot, int]:
        return {
            (topic, partition): end
            for topic in topics
            for partition, end in self.log.end_offsets(topic).items()
        }

    def reached(self, target: dict[Slot, int]) -> bool:
        return all(self.read_to.get(slot, 0) >= end for slot, end in target.items())

    def records_read(self) -> int:
        return sum(self.read_to.values())

    def keeps(self, record: LogRecord) -> bool:
        at = record.position
        if self.limit is not None and at.offset >= self.limit.get(
            (at.topic, at.partition), 0
        ):
            return False
        return self.cutoff is None or self.cutoff.includes(record)

    def append(self, records: Sequence[Record]) -> list[Position]:
        # Only the runner's dead letters come here; the live consumer sent those
        # when it met the records first, and a replay must not send them again.
        self.dead_letters += len(records)
        return []

    def consumer(self, group_id: str, topics: Sequence[str]) -> LogConsumer:
        return _ReplayConsumer(self, self.log.consumer(group_id, topics))

    def close(self) -> None:
        """The live log belongs to the service; a replay leaves it open."""


class _ReplayConsumer:
    def __init__(self, view: ReplayLog, inner: LogConsumer) -> None:
        self.view = view
        self.inner = inner

    def poll(self, max_records: int, timeout_s: float) -> list[LogRecord]:
        # Larger batches than the live consumer's: a replay is all backlog, and
        # each batch costs a few inserts whatever its size.
        kept = []
        batch = max(max_records, REPLAY_BATCH_RECORDS)
        for record in self.inner.poll(batch, timeout_s):
            at = record.position
            slot = (at.topic, at.partition)
            self.view.read_to[slot] = max(self.view.read_to.get(slot, 0), at.offset + 1)
            if self.view.keeps(record):
                kept.append(record)
        return kept

    def commit(self, positions: Sequence[Position]) -> None:
        """Nothing: the replay's ``positions`` table records how far it got."""

    def lag(self) -> dict[Slot, int]:
        return self.inner.lag()

    def assignment(self) -> frozenset[Slot]:
        return self.inner.assignment()

    def close(self) -> None:
        self.inner.close()
