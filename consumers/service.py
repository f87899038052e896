"""The projection service: the log, the stores and a consumer thread, wired up.

In embedded mode one process (``runstream server``) owns chDB, so this service and
the query API live in that process and share one store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from runstream.blobs import BlobStore, open_blob_store
from runstream.consumers.clickhouse import ClickHouseStore, connect_store
from runstream.consumers.projector import Projector
from runstream.consumers.runner import ProjectionRunner
from runstream.consumers.states import live_blobs
from runstream.errors import RunstreamError
from runstream.events import DEAD_LETTER_TOPIC, TRACKING_TOPIC
from runstream.log import EventLog, Position, open_log
from runstream.settings import Settings

logger = logging.getLogger(__name__)

# A health check asks the blob store at most this often: a load balancer or the
# dashboard may poll health many times a second.
BLOB_CHECK_TTL_S = 2.0


@dataclass
class ProjectionService:
    settings: Settings
    log: EventLog
    store: ClickHouseStore
    blobs: BlobStore
    runner: ProjectionRunner
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _blob_check: tuple[float, bool] = (float("-inf"), True)

    @classmethod
    def open(cls, settings: Settings) -> ProjectionService:
        """Open the log and the stores the settings name, and create the tables."""
        log = open_log(settings.log_location(), settings.partitions)
        store = connect_store(
            settings.clickhouse_location(), settings.clickhouse_database
        )
        store.create_tables()
        blobs = open_blob_store(settings.artifacts_location())
        projector = Projector(store, live_blobs(store, blobs))
        runner = ProjectionRunner(log, projector, settings.consumer_group)
        return cls(settings, log, store, blobs, runner)

    def start(self) -> None:
        """Run the consumer in a background thread."""
        self._thread = threading.Thread(
            target=self.runner.run_forever,
            args=(self._stop,),
            name="runstream-consumer",
            daemon=True,
        )
        self._thread.start()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the consumer between two batches (a replay swaps tables meanwhile).
        It resumes with a fresh runner, which takes its positions and blob prefix
        from the tables it finds then."""
        running = self._thread is not None and self._thread.is_alive()
        if running:
            self._stop.set()
            self._thread.join()  # type: ignore[union-attr]
            # Paused is not dead: health must not turn degraded for a swap.
            self._thread = None
        try:
            yield
        finally:
            old = self.runner
            if not running:  # a running loop closed its consumer as it stopped
                old.consumer.close()
            projector = Projector(self.store, live_blobs(self.store, self.blobs))
            self.runner = ProjectionRunner(
                self.log, projector, old.group_id, old.topics
            )
            if running:
                self._stop = threading.Event()
                self.start()

    def catch_up(self, timeout_s: float = 60.0) -> None:
        """Apply everything on the log now, in this thread (tests and replays)."""
        deadline = time.monotonic() + timeout_s
        while self.runner.run_once(timeout_s=0.05) and time.monotonic() < deadline:
            pass

    def _blobs_ok(self) -> bool:
        checked_at, ok = self._blob_check
        if time.monotonic() - checked_at > BLOB_CHECK_TTL_S:
            ok = self.blobs.ping()
            self._blob_check = (time.monotonic(), ok)
        return ok

    def wait_caught_up(self, timeout_s: float) -> bool:
        """Block until the projection has applied every tracking record the log
        holds now; False if ``timeout_s`` passed first. A lookup that found
        nothing is then worth trusting: a run created while the projection was
        behind is found rather than called unknown."""
        ends = self.log.end_offsets(TRACKING_TOPIC)
        last = [Position(TRACKING_TOPIC, p, end - 1) for p, end in ends.items() if end]
        return self.runner.wait_applied(last, timeout_s)

    def health(self) -> dict[str, Any]:
        store_ok = self.store.ping()
        blobs_ok = self._blobs_ok()
        try:
            lag = self.runner.lag()
            dead_letters = sum(self.log.end_offsets(DEAD_LETTER_TOPIC).values())
            log_error = None
        except RunstreamError as e:
            lag, dead_letters, log_error = {}, 0, str(e)
        consumer_alive = self._thread is None or self._thread.is_alive()
        healthy = (
            store_ok
            and blobs_ok
            and consumer_alive
            and log_error is None
            and self.runner.last_error is None
        )
        return {
            "status": "ok" if healthy else "degraded",
            "store": "ok" if store_ok else "unavailable",
            "blobs": "ok" if blobs_ok else "unavailable",
            "log": "ok" if log_error is None else log_error,
            "consumer": {
                "group": self.runner.group_id,
                "alive": consumer_alive,
                "applied_events": self.runner.applied_events,
                "last_error": self.runner.last_error,
            },
            "lag": [
                {"topic": topic, "partition": partition, "lag": behind}
                for (topic, partition), behind in sorted(lag.items())
            ],
            "total_lag": sum(lag.values()),
            "dead_letters": dead_letters,
        }

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        logger.info("projection service stopped")
