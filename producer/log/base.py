"""The event log port: append records, consume them as a group, commit positions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Position:
    """Where a record sits: (topic, partition, offset)."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Record:
    """A record to append: the key chooses the partition."""

    topic: str
    key: str
    value: bytes


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A record read back from the log, with its position."""

    position: Position
    key: str
    value: bytes
    appended_at: int


class LogConsumer(Protocol):
    """A member of a consumer group reading some topics."""

    def poll(self, max_records: int, timeout_s: float) -> list[LogRecord]:
        """Return up to ``max_records`` records after the group's position."""
        ...

    def commit(self, positions: Sequence[Position]) -> None:
        """Commit that every record up to and including each position is done."""
        ...

    def lag(self) -> dict[tuple[str, int], int]:
        """Records not yet committed, per (topic, partition)."""
        ...

    def assignment(self) -> frozenset[tuple[str, int]]:
        """The (topic, partition)s this member reads now; it changes when other
        members of the group join or leave."""
        ...

    def close(self) -> None: ...


class EventLog(Protocol):
    """An append-only, partitioned log (Kafka, or the embedded SQLite file)."""

    def append(self, records: Sequence[Record]) -> list[Position]:
        """Append records durably and return their positions, in order."""
        ...

    def consumer(self, group_id: str, topics: Sequence[str]) -> LogConsumer:
        """Join ``group_id`` reading ``topics`` from its committed positions."""
        ...

    def end_offsets(self, topic: str) -> dict[int, int]:
        """The next offset to be written, per partition."""
        ...

    def close(self) -> None: ...
