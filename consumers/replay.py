"""Replay: build the projections again from the start of the log.

A full replay rebuilds the live projections in a fresh database and blob prefix,
catches up with the live consumer, then swaps every table in with ClickHouse's
``EXCHANGE TABLES`` while the live consumer waits between two batches. Readers
keep reading throughout: each exchange is atomic, and when they happen both sets
of tables hold the same events, so a reader never sees a mix that differs from
either. The tables it replaced are dropped.

An as-of replay (``into`` a name, optionally ``until`` a time or position) builds
the state of that moment beside the live one; the API reads it with
``?state=<name>``.

Both reuse :class:`ProjectionRunner` and :class:`Projector` over a
:class:`ReplayLog`, so a replay projects exactly as the live consumer does.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from runstream.blobs import BlobStore
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.clickhouse.schema import TABLES
from runstream.consumers.projector import Projector
from runstream.consumers.replay_view import Cutoff, ReplayLog, Slot, parse_cutoff
from runstream.consumers.runner import ProjectionRunner
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import (
    BLOB_PREFIX_KEY,
    LIVE,
    State,
    StateCatalog,
    check_state_name,
    write_info,
)
from runstream.errors import EventLogError, InvalidInputError
from runstream.events import Event
from runstream.log import Position

logger = logging.getLogger(__name__)

# A replay that reads nothing new for this long has lost its log.
STALL_S = 60.0
POLL_TIMEOUT_S = 0.2
# A replay reads history already written, so larger batches than the live
# consumer's only mean fewer statements per event (7-15% faster here); the log's
# own byte budget per poll still bounds their memory.
REPLAY_BATCH_RECORDS = 10_000


@dataclass
class ReplayProgress:
    """How far a replay got; written by its thread, read by anyone."""

    replay_id: str
    state: str
    until: str | None
    phase: str = "starting"
    """starting, building, catching_up, swapping, done or failed."""
    records_total: int = 0
    records_read: int = 0
    events_applied: int = 0
    points_applied: int = 0
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.phase not in ("done", "failed")

    def to_dict(self) -> dict[str, Any]:
        report = asdict(self)
        elapsed = (self.finished_at or time.time()) - self.started_at
        report["elapsed_s"] = round(elapsed, 3)
        report["events_per_s"] = round(self.events_applied / elapsed if elapsed else 0)
        report["points_per_s"] = round(self.points_applied / elapsed if elapsed else 0)
        return report


class _CountingProjector(Projector):
    """The projector, counting what it applies for the progress report."""

    def __init__(
        self, store: ClickHouseStore, blobs: BlobStore, progress: ReplayProgress
    ) -> None:
        super().__init__(store, blobs)
        self.progress = progress

    def apply(self, batch: Sequence[tuple[Position, Event]]) -> None:
        super().apply(batch)
        self.progress.events_applied += len(batch)
        self.progress.points_applied += sum(
            len(event.payload["values"])
            for _, event in batch
            if event.event_type == "MetricsLogged"
        )


class Replay:
    """One replay; ``run`` does it in the calling thread while ``progress`` tells
    other threads how far it is."""

    def __init__(
        self,
        service: ProjectionService,
        catalog: StateCatalog,
        *,
        into: str | None = None,
        until: str | None = None,
        replace: bool = False,
    ) -> None:
        if until and not into:
            raise InvalidInputError(
                "--until builds a past state beside the live one and needs a name: "
                "add --into <name>, e.g. --into before_fix"
            )
        self.service = service
        self.catalog = catalog
        self.into = check_state_name(into) if into else None
        self.replace = replace
        if self.into and not replace:
            # Refused now, so that the caller hears it rather than a failed job.
            catalog.check_free(self.into)
        # Parsed now, so that a bad --until fails before anything is built.
        self.cutoff: Cutoff | None = parse_cutoff(until, service.log) if until else None
        replay_id = time.strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:6]
        self.build_name = self.into or f"replay{replay_id}"
        self.progress = ReplayProgress(replay_id, self.into or LIVE, until)
        self._created = False
        self._exchanging = False

    def run(self) -> ReplayProgress:
        logger.info(
            "replay started id=%s into=%s until=%s",
            self.progress.replay_id,
            self.progress.state,
            self.progress.until,
        )
        try:
            if self.into:
                self._build_beside()
            else:
                self._rebuild_live()
        except Exception as e:
            self._discard_build()
            self.progress.phase = "failed"
            self.progress.error = str(e)
            self.progress.finished_at = time.time()
            logger.exception("replay failed id=%s", self.progress.replay_id)
            raise
        self.progress.phase = "done"
        self.progress.finished_at = time.time()
        report = self.progress.to_dict()
        logger.info(
            "replay done id=%s events=%d points=%d elapsed_s=%.1f events_per_s=%d",
            report["replay_id"],
            report["events_applied"],
            report["points_applied"],
            report["elapsed_s"],
            report["events_per_s"],
        )
        return self.progress

    def _build_beside(self) -> None:
        assert self.into is not None
        if self.replace and self.into in self.catalog.names():
            self.catalog.drop(self.into)
        state = self._create_state()
        view = ReplayLog(self.service.log, self.cutoff)
        runner = self._runner(view, state)
        try:
            target = view.ends(runner.topics)
            # Whatever comes after the replay started is after the cutoff too.
            view.limit = target
            self._apply(runner, view, target, "building")
        finally:
            runner.consumer.close()
        write_info(state.store, {"complete": "1", "finished_at": _now_iso()})

    def _rebuild_live(self) -> None:
        state = self._create_state()
        view = ReplayLog(self.service.log)
        runner = self._runner(view, state)
        try:
            self._apply(runner, view, view.ends(runner.topics), "building")
            # The live consumer went on meanwhile; get close to where it is now,
            # so that the pause below is short.
            self._apply(runner, view, view.ends(runner.topics), "catching_up")
            self.progress.phase = "swapping"
            with self.service.paused():
                target = view.ends(runner.topics)
                view.limit = target
                self._apply(runner, view, target, "swapping")
                write_info(state.store, {"complete": "1", "finished_at": _now_iso()})
                self._exchanging = True
                exchange_tables(self.service.store, state.store)
        finally:
            runner.consumer.close()
        # The build database now holds the tables it replaced.
        self.catalog.drop(self.build_name)

    def _discard_build(self) -> None:
        """Drop what a failed replay built, unless tables were being swapped: then
        the build database may hold live tables, and it stays for a person."""
        if self.progress.phase == "swapping" and self._exchanging:
            logger.error(
                "replay %s failed while swapping tables; database %s stays: check "
                "both it and the live one before dropping either",
                self.progress.replay_id,
                self.catalog.database(self.build_name),
            )
            return
        if not self._created:
            return  # e.g. the name was taken: that state is someone else's
        try:
            self.catalog.drop(self.build_name)
        except Exception as e:  # the original failure matters more
            logger.warning("could not drop %s: %s", self.build_name, e)

    def _create_state(self) -> State:
        info = {
            BLOB_PREFIX_KEY: f"_states/{self.build_name}-{uuid.uuid4().hex[:8]}/",
            "replay_id": self.progress.replay_id,
            "until": self.progress.until or "",
            "started_at": _now_iso(),
            "complete": "0",
        }
        state = self.catalog.create(self.build_name, info)
        self._created = True
        return state

    def _runner(self, view: ReplayLog, state: State) -> ProjectionRunner:
        projector = _CountingProjector(state.store, state.blobs(), self.progress)
        live = self.service.runner
        group = f"{live.group_id}-replay-{self.progress.replay_id}"
        return ProjectionRunner(
            view, projector, group, live.topics, REPLAY_BATCH_RECORDS
        )

    def _apply(
        self,
        runner: ProjectionRunner,
        view: ReplayLog,
        target: dict[Slot, int],
        phase: str,
    ) -> None:
        """Run batches until every partition is read up to ``target``."""
        self.progress.phase = phase
        self.progress.records_total = max(
            self.progress.records_total, sum(target.values())
        )
        last_read, last_change = view.records_read(), time.monotonic()
        while not view.reached(target):
            runner.run_once(timeout_s=POLL_TIMEOUT_S)
            read = view.records_read()
            self.progress.records_read = read
            if read != last_read:
                last_read, last_change = read, time.monotonic()
            elif time.monotonic() - last_change > STALL_S:
                raise EventLogError(
                    f"replay {self.progress.replay_id} read nothing for {STALL_S:g}s "
                    f"at {read:,} of {sum(target.values()):,} records; check the "
                    "event log and run the replay again"
                )


def exchange_tables(live: ClickHouseStore, built: ClickHouseStore) -> None:
    """Swap every projection table of ``built`` with the live one, each pair
    atomically."""
    for table in TABLES:
        live.command(f"EXCHANGE TABLES {live.table(table)} AND {built.table(table)}")
    logger.info("tables exchanged live=%s built=%s", live.database, built.database)


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
