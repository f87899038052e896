"""The event log: Kafka in the scaled mode, a SQLite file in the embedded default."""

from __future__ import annotations

from pathlib import Path

from runstream.errors import InvalidInputError
from runstream.log.base import EventLog, LogConsumer, LogRecord, Position, Record
from runstream.log.sqlite import SqliteEventLog


def open_log(location: str, partitions: int = 8) -> EventLog:
    """Open the log a location names: ``kafka://host:port[,...]`` (Kafka),
    ``http(s)://api`` (appends through the query API), or a local path."""
    if location.startswith("kafka://"):
        from runstream.log.kafka import KafkaEventLog

        return KafkaEventLog(location, partitions=partitions)
    if location.startswith(("http://", "https://")):
        from runstream.log.http import HttpEventLog

        return HttpEventLog(location)
    if "://" in location and not location.startswith("file://"):
        raise InvalidInputError(
            f"tracking URI {location!r} names no event log; use kafka://host:port, "
            "http(s)://<runstream API>, or a local path"
        )
    path = location.removeprefix("file://")
    return SqliteEventLog(Path(path), partitions=partitions)


__all__ = [
    "EventLog",
    "LogConsumer",
    "LogRecord",
    "Position",
    "Record",
    "SqliteEventLog",
    "open_log",
]
