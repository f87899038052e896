"""The event log: Kafka in the scaled mode, a SQLite file in the embedded default."""

from __future__ import annotations

from pathlib import Path

from runstream.errors import InvalidInputError
from runstream.log.base import EventLog, LogConsumer, LogRecord, Position, Record
from runstream.log.sqlite import SqliteEventLog


def open_log(location: str, partitions: int = 8) -> EventLog:
    """Open the log a location string names (a local path for the embedded log)."""
    if location.startswith(("kafka://", "http://", "https://")):
        # TODO: Kafka and HTTP transports arrive with the scaled-mode issue.
        raise InvalidInputError(
            f"tracking URI {location!r} needs the scaled mode, which this build "
            "lacks; use a local path (or unset RUNSTREAM_TRACKING_URI)"
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
