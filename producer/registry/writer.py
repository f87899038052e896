"""Appending registry events and learning where they landed.

A registry call must read its own write (the version number it created, say), so
it needs the position of its event. The SDK's buffered sender does not report
positions, so registry events are appended directly, one call at a time; the
sender is flushed first, so what the process logged before (the run's model files)
is on the log ahead of the registry event that points at them.
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from runstream.events import Event, encode
from runstream.log import EventLog, Position, Record

logger = logging.getLogger(__name__)

EventSpec = tuple[str, dict[str, Any]]


class RegistryWriter(Protocol):
    def append(self, events: Sequence[EventSpec]) -> list[Position]:
        """Append events (type, payload) in one call; return their positions."""
        ...


class LogWriter:
    """Appends straight to an event log, as its own producer."""

    def __init__(
        self,
        log_factory: Callable[[], EventLog],
        before_append: Callable[[], object] | None = None,
    ) -> None:
        self.producer_id = f"registry-{uuid.uuid4().hex}"
        self._log_factory = log_factory
        self._log: EventLog | None = None
        self._before = before_append
        self._sequence = itertools.count()
        self._lock = threading.Lock()

    def append(self, events: Sequence[EventSpec]) -> list[Position]:
        if self._before is not None:
            self._before()
        with self._lock:
            records = []
            for event_type, payload in events:
                event = Event(
                    event_type,
                    payload,
                    producer_id=self.producer_id,
                    sequence=next(self._sequence),
                )
                records.append(Record(event.topic, event.key, encode(event)))
            if self._log is None:
                self._log = self._log_factory()
            positions = self._log.append(records)
        logger.debug("registry events appended positions=%s", positions)
        return positions

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
