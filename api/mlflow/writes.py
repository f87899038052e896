"""Writes through the MLflow API: events on the log, then read-your-writes.

A write appends its events in one ``append`` (so a batch lands whole or not at
all), then waits until the projection has applied their positions: whoever wrote
reads the write back at once. Past ``RUNSTREAM_WRITE_WAIT_S`` the answer still
succeeds, since the events are on the log, but its ``Runstream-Projection``
header says ``pending`` instead of ``applied``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
import zlib
from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse

from runstream.consumers.service import ProjectionService
from runstream.events import Event, encode
from runstream.log import Record

logger = logging.getLogger(__name__)

PROJECTION_HEADER = "Runstream-Projection"

# The API is one producer per process; the envelope's sequence counts its events.
PRODUCER_ID = f"api-{uuid.uuid4().hex}"
_sequence = itertools.count()

# Writes that depend on what was read first (an experiment name still free, a param
# not yet logged with another value) hold a lock from the read to the applied
# write, so two requests cannot both pass the check.
# TODO: locks per process; several API processes would need a check in the log.
checked_write = threading.Lock()
# Params are immutable per run, so their check needs only that run's writes kept
# apart. One process-wide lock, held for a whole projection wait, queued every
# log-parameter behind every other run's and used up the server's worker threads
# under load. A fixed set of stripes keeps memory flat however many runs come.
RUN_LOCK_STRIPES = 256
_run_locks = tuple(threading.Lock() for _ in range(RUN_LOCK_STRIPES))


def checked_run_write(run_id: str) -> threading.Lock:
    """The lock that keeps checked writes to ``run_id`` apart."""
    return _run_locks[zlib.crc32(run_id.encode()) % RUN_LOCK_STRIPES]


EventSpec = tuple[str, dict[str, Any]]


def write(service: ProjectionService, events: Sequence[EventSpec]) -> bool:
    """Append ``events`` (type, payload) and wait until they are projected; True if
    they were within the wait, False if the projection is still behind."""
    records = []
    for event_type, payload in events:
        event = Event(
            event_type, payload, producer_id=PRODUCER_ID, sequence=next(_sequence)
        )
        records.append(Record(event.topic, event.key, encode(event)))
    positions = service.log.append(records)

    # wait_applied wakes the embedded log's consumer rather than leave the write
    # to its next 50 ms tick; Kafka's fetch returns as soon as a record is there.
    wait_s = service.settings.write_wait_s
    applied = service.runner.wait_applied(positions, wait_s)
    if not applied:
        logger.warning(
            "write not projected within %.1fs events=%d first=%s; answered pending",
            wait_s,
            len(records),
            positions[0] if positions else None,
        )
    return applied


def answer(body: dict[str, Any], applied: bool = True) -> JSONResponse:
    """The JSON answer to a write, saying whether a read will already see it."""
    headers = {PROJECTION_HEADER: "applied" if applied else "pending"}
    return JSONResponse(body, headers=headers)
