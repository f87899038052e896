"""The event log: Kafka in the scaled mode, a SQLite file in the embedded default."""

from __future__ import annotations

from pathlib import Path

from runstream.errors import InvalidInputError
from runstream.log.base import EventLog, LogConsumer, LogRecord, Position, Record
from runstream.log.sqlite import SqliteEventLog


def check_location(location: str) -> None:
    """Refuse a location that names no event log, and a local log whose folder
    cannot be made, before anything is queued for it."""
    if location.startswith(("kafka://", "http://", "https://")):
        return
    if "://" in location and not location.startswith("file://"):
        raise InvalidInputError(
            f"tracking URI {location!r} names no event log; use kafka://host:port, "
            "http(s)://<runstream API>, or a local path"
        )
    folder = Path(location.removeprefix("file://")).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InvalidInputError(
            f"the event log {location!r} cannot be kept in {str(folder)!r}: "
            f"{e.strerror or e}; set RUNSTREAM_HOME (or RUNSTREAM_TRACKING_URI) to "
            "a folder this process can write"
        ) from e


def open_log(location: str, partitions: int = 8) -> EventLog:
    """Open the log a location names: ``kafka://host:port[,...]`` (Kafka),
    ``http(s)://api`` (appends through the query API), or a local path."""
    check_location(location)
    if location.startswith("kafka://"):
        from runstream.log.kafka import KafkaEventLog

        return KafkaEventLog(location, partitions=partitions)
    if location.startswith(("http://", "https://")):
        from runstream.log.http import HttpEventLog

        return HttpEventLog(location)
    path = location.removeprefix("file://")
    return SqliteEventLog(Path(path), partitions=partitions)


__all__ = [
    "EventLog",
    "LogConsumer",
    "LogRecord",
    "Position",
    "Record",
    "SqliteEventLog",
    "check_location",
    "open_log",
]
