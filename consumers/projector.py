"""Projects tracking events into ClickHouse tables and the blob store.

``apply`` takes one batch of decoded events with their positions and writes every
table in one insert per table. It is idempotent: tables replace rows by their keys,
and experiment and run rows only move forward in version (see ``entities``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

from runstream.blobs import BlobStore, artifact_key
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.entities import (
    EXPERIMENT_EVENTS,
    MODEL_EVENTS,
    RUN_EVENTS,
    EntityCache,
    ExperimentRow,
    ModelRow,
    RunRow,
    apply_experiment_event,
    apply_model_event,
    apply_run_event,
    experiment_columns,
)
from runstream.consumers.metric_points import MetricPoints
from runstream.consumers.registry import RegistryProjector
from runstream.events import Event
from runstream.events.model import REGISTRY_EVENTS
from runstream.log import Position

logger = logging.getLogger(__name__)


class _Columns:
    """Column-oriented rows waiting for one insert per table."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, list[Any]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.points = MetricPoints()

    def add(self, table: str, **row: Any) -> None:
        columns = self.tables[table]
        for name, value in row.items():
            columns[name].append(value)

    def extend(self, table: str, **columns: Sequence[Any]) -> None:
        target = self.tables[table]
        for name, values in columns.items():
            target[name].extend(values)


class Projector:
    """Applies tracking events to the projections."""

    def __init__(self, store: ClickHouseStore, blobs: BlobStore) -> None:
        self.store = store
        self.blobs = blobs
        self.cache = EntityCache(store)
        self.registry = RegistryProjector(blobs)

    def apply(self, batch: Sequence[tuple[Position, Event]]) -> None:
        out = _Columns()
        runs: dict[str, RunRow] = {}
        experiments: dict[str, ExperimentRow] = {}
        models: dict[str, ModelRow] = {}
        registry: list[tuple[Position, Event]] = []
        self.cache.prefetch_runs(
            e.payload["run_id"] for _, e in batch if e.event_type in RUN_EVENTS
        )
        for position, event in batch:
            kind = event.event_type
            if kind in REGISTRY_EVENTS:
                registry.append((position, event))
            elif kind in RUN_EVENTS:
                self._apply_run(position, event, runs)
            elif kind in EXPERIMENT_EVENTS:
                self._apply_experiment(position, event, experiments)
            elif kind in MODEL_EVENTS:
                self._apply_model(position, event, models)
            else:
                self._apply_fact(position, event, out)
            out.add(
                "events",
                topic=position.topic,
                partition=position.partition,
                offset=position.offset,
                key=event.key,
                event_id=event.event_id,
                event_type=kind,
                occurred_at=event.occurred_at,
                producer_id=event.producer_id,
                sequence=event.sequence,
            )
        for run in runs.values():
            out.add("runs", **asdict(run))
        for experiment in experiments.values():
            out.add("experiments", **experiment_columns(experiment))
        for model in models.values():
            out.add("models", **asdict(model))
        if out.points.count:
            self.store.insert_arrow("metrics", out.points.table())
            self.store.insert("latest_metrics", out.points.latest_columns())
        for table, columns in out.tables.items():
            self.store.insert(table, columns)
        if registry:
            self.registry.apply(registry)
        # Only after the writes succeeded may the cache move on.
        self.cache.runs.update(runs)
        self.cache.experiments.update(experiments)
        self.cache.models.update(models)
        logger.debug("applied batch events=%d runs=%d", len(batch), len(runs))

    def _apply_run(
        self, position: Position, event: Event, changed: dict[str, RunRow]
    ) -> None:
        run_id = event.payload["run_id"]
        # TODO: an event for a run never started (an id typed by hand) makes a
        # run row with no experiment; dead-letter it instead (RunStarted always
        # comes first in the run's partition, so the check is exact).
        current = changed.get(run_id) or self.cache.run(run_id)
        if current.version and position.offset <= current.version:
            return  # already applied
        changed[run_id] = replace(
            apply_run_event(current, event), version=position.offset
        )

    def _apply_experiment(
        self, position: Position, event: Event, changed: dict[str, ExperimentRow]
    ) -> None:
        experiment_id = event.payload["experiment_id"]
        current = changed.get(experiment_id) or self.cache.experiment(experiment_id)
        if current.exists and position.offset <= current.version:
            return  # already applied
        updated = apply_experiment_event(current, event)
        if updated is not current:
            changed[experiment_id] = replace(updated, version=position.offset)

    def _apply_model(
        self, position: Position, event: Event, changed: dict[str, ModelRow]
    ) -> None:
        model_id = event.payload["model_id"]
        current = changed.get(model_id) or self.cache.model(model_id)
        if current.version and position.offset <= current.version:
            return  # already applied
        changed[model_id] = replace(
            apply_model_event(current, event), version=position.offset
        )

    def _apply_fact(self, position: Position, event: Event, out: _Columns) -> None:
        """Events that add rows rather than change one."""
        p = event.payload
        version = position.offset
        kind = event.event_type
        if kind == "MetricsLogged":
            out.points.add(p)
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
        elif kind in ("ExperimentTagSet", "ExperimentTagDeleted"):
            out.add(
                "experiment_tags",
                experiment_id=p["experiment_id"],
                key=p["key"],
                value=p.get("value", ""),
                deleted=int(kind == "ExperimentTagDeleted"),
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
        elif kind == "InputsLogged":
            for dataset in p["datasets"]:
                out.add("inputs", run_id=p["run_id"], **dataset)
        elif kind == "ModelLogged":
            out.add("logged_models", **p)
        elif kind == "OutputsLogged":
            out.extend(
                "run_outputs",
                run_id=[p["run_id"]] * len(p["model_ids"]),
                model_id=p["model_ids"],
                step=p["steps"],
            )
        elif kind in ("LoggedModelTagsSet", "LoggedModelParamsLogged"):
            self._model_key_values(p, version, kind == "LoggedModelTagsSet", out)
        elif kind == "LoggedModelTagDeleted":
            out.add(
                "model_tags",
                model_id=p["model_id"],
                key=p["key"],
                value="",
                deleted=1,
                version=version,
            )
        else:
            logger.warning("no projection for event_type=%s; skipped", kind)

    @staticmethod
    def _model_key_values(
        p: dict[str, Any], version: int, tags: bool, out: _Columns
    ) -> None:
        count = len(p["keys"])
        extra = {"deleted": [0] * count} if tags else {}
        out.extend(
            "model_tags" if tags else "model_params",
            model_id=[p["model_id"]] * count,
            key=p["keys"],
            value=p["values"],
            version=[version] * count,
            **extra,
        )
