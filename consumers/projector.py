"""Projects tracking events into ClickHouse tables and the blob store.

``apply`` takes one batch of decoded events with their positions and writes every
table in as few inserts as it can. It is idempotent: the tables replace rows by
their keys, and run rows only move forward in version (the log offset).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from runstream.blobs import BlobStore, artifact_key
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.events import Event
from runstream.log import Position

logger = logging.getLogger(__name__)

TERMINAL_STATUSES = frozenset({"FINISHED", "FAILED", "KILLED"})


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    experiment_id: str = ""
    run_name: str = ""
    user: str = ""
    status: str = "RUNNING"
    start_time: int = 0
    end_time: int | None = None
    parent_run_id: str = ""
    lifecycle_stage: str = "active"
    version: int = 0


class _Columns:
    """Column-oriented rows waiting for one insert per table."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, list[Any]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def add(self, table: str, **row: Any) -> None:
        columns = self.tables[table]
        for name, value in row.items():
            columns[name].append(value)

    def extend(self, table: str, **columns: Sequence[Any]) -> None:
        target = self.tables[table]
        for name, values in columns.items():
            target[name].extend(values)


class Projector:
    """Applies events to the projections; keeps a cache of run rows it wrote."""

    def __init__(self, store: ClickHouseStore, blobs: BlobStore) -> None:
        self.store = store
        self.blobs = blobs
        self._runs: dict[str, RunRow] = {}
        self._experiments: set[str] = set()

    def apply(self, batch: Sequence[tuple[Position, Event]]) -> None:
        out = _Columns()
        changed_runs: dict[str, RunRow] = {}
        for position, event in batch:
            self._apply_one(position, event, out, changed_runs)
            out.add(
                "events",
                topic=position.topic,
                partition=position.partition,
                offset=position.offset,
                key=event.key,
                event_id=event.event_id,
                event_type=event.event_type,
                occurred_at=event.occurred_at,
                producer_id=event.producer_id,
                sequence=event.sequence,
            )
        for row in changed_runs.values():
            out.add("runs", **asdict(row))
        for table, columns in out.tables.items():
            self.store.insert(table, columns)
        self._runs.update(changed_runs)
        logger.debug("applied batch events=%d runs=%d", len(batch), len(changed_runs))

    def _apply_one(
        self,
        position: Position,
        event: Event,
        out: _Columns,
        changed_runs: dict[str, RunRow],
    ) -> None:
        p = event.payload
        version = position.offset
        kind = event.event_type
        if kind == "MetricsLogged":
            names = p["names"]
            out.extend(
                "metrics",
                run_id=[p["run_id"]] * len(p["values"]),
                key=[names[i] for i in p["name_index"]],
                step=p["steps"],
                timestamp=p["timestamps"],
                value=p["values"],
            )
        elif kind in ("ParamsLogged", "TagsSet"):
            table = "params" if kind == "ParamsLogged" else "tags"
            extra = {} if table == "params" else {"deleted": [0] * len(p["keys"])}
            out.extend(
                table,
                run_id=[p["run_id"]] * len(p["keys"]),
                key=p["keys"],
                value=p["values"],
                version=[version] * len(p["keys"]),
                **extra,
            )
        elif kind == "TagDeleted":
            out.add(
                "tags",
                run_id=p["run_id"],
                key=p["key"],
                value="",
                deleted=1,
                version=version,
            )
        elif kind == "ArtifactLogged":
            if p["content"] is not None:
                self.blobs.put(artifact_key(p["run_id"], p["path"]), p["content"])
            out.add(
                "artifacts",
                run_id=p["run_id"],
                path=p["path"],
                size=p["size"],
                sha256=p["sha256"],
                logged_at=event.occurred_at,
                version=version,
            )
        elif kind == "ExperimentCreated":
            if self._experiment_exists(p["experiment_id"]):
                return  # every process announces its experiment; the first wins
            self._experiments.add(p["experiment_id"])
            out.add(
                "experiments",
                experiment_id=p["experiment_id"],
                name=p["name"],
                artifact_location=p["artifact_location"],
                lifecycle_stage="active",
                creation_time=event.occurred_at,
                last_update_time=event.occurred_at,
                version=version,
            )
        elif kind in ("RunStarted", "RunStatusChanged", "RunRenamed"):
            self._apply_run(position, event, changed_runs)
        else:
            logger.warning("no projection for event_type=%s; skipped", kind)

    def _apply_run(
        self, position: Position, event: Event, changed_runs: dict[str, RunRow]
    ) -> None:
        p = event.payload
        run_id = p["run_id"]
        current = changed_runs.get(run_id) or self._load_run(run_id)
        if current.version and position.offset <= current.version:
            return  # already applied: replaying it must change nothing
        kind = event.event_type
        if kind == "RunStarted":
            row = replace(
                current,
                experiment_id=p["experiment_id"],
                run_name=p["run_name"],
                user=p["user"],
                start_time=p["start_time"],
                parent_run_id=p["parent_run_id"] or "",
                status="RUNNING",
            )
        elif kind == "RunStatusChanged":
            ended = p["status"] in TERMINAL_STATUSES
            row = replace(
                current,
                status=p["status"],
                end_time=(p["end_time"] or event.occurred_at) if ended else None,
            )
        else:
            row = replace(current, run_name=p["run_name"])
        changed_runs[run_id] = replace(row, version=position.offset)

    def _experiment_exists(self, experiment_id: str) -> bool:
        if experiment_id in self._experiments:
            return True
        rows = self.store.query(
            f"SELECT count() AS n FROM {self.store.table('experiments')} "
            "WHERE experiment_id = {experiment_id:String}",
            {"experiment_id": experiment_id},
        )
        if rows[0]["n"]:
            self._experiments.add(experiment_id)
        return bool(rows[0]["n"])

    def _load_run(self, run_id: str) -> RunRow:
        if run_id in self._runs:
            return self._runs[run_id]
        rows = self.store.query(
            f"SELECT * FROM {self.store.table('runs')} FINAL "
            "WHERE run_id = {run_id:String}",
            {"run_id": run_id},
        )
        return RunRow(**rows[0]) if rows else RunRow(run_id=run_id)
