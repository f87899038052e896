"""Experiment and run rows: the projections whose rows change over time.

Each row carries ``version`` = the log offset of the last event applied to it. All
events of one entity share a partition, so an event at or below that offset has
been applied already and is skipped: that keeps replays and redeliveries harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from runstream.consumers.clickhouse import ClickHouseStore
from runstream.events import Event

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


@dataclass(frozen=True, slots=True)
class ExperimentRow:
    experiment_id: str
    name: str = ""
    artifact_location: str = ""
    lifecycle_stage: str = "active"
    creation_time: int = 0
    last_update_time: int = 0
    version: int = 0
    exists: bool = False


@dataclass(frozen=True, slots=True)
class ModelRow:
    """A model as MLflow 3 has them (a logged model, id m-...)."""

    model_id: str
    experiment_id: str = ""
    name: str = ""
    model_type: str = ""
    source_run_id: str = ""
    artifact_location: str = ""
    status: str = "PENDING"
    status_message: str = ""
    lifecycle_stage: str = "active"
    creation_time: int = 0
    last_update_time: int = 0
    version: int = 0


def apply_run_event(row: RunRow, event: Event) -> RunRow:
    """The run row after ``event``."""
    p = event.payload
    kind = event.event_type
    if kind == "RunStarted":
        return replace(
            row,
            experiment_id=p["experiment_id"],
            run_name=p["run_name"],
            user=p["user"],
            start_time=p["start_time"],
            parent_run_id=p["parent_run_id"] or "",
            status="RUNNING",
        )
    if kind == "RunStatusChanged":
        ended = p["status"] in TERMINAL_STATUSES
        end_time = (p["end_time"] or event.occurred_at) if ended else None
        return replace(row, status=p["status"], end_time=end_time)
    if kind == "RunRenamed":
        return replace(row, run_name=p["run_name"])
    if kind == "RunDeleted":
        return replace(row, lifecycle_stage="deleted")
    if kind == "RunRestored":
        return replace(row, lifecycle_stage="active")
    raise ValueError(f"{kind} does not change a run row")


def apply_experiment_event(row: ExperimentRow, event: Event) -> ExperimentRow:
    """The experiment row after ``event``."""
    p = event.payload
    kind = event.event_type
    at = event.occurred_at
    if kind == "ExperimentCreated":
        if row.exists:
            return row  # every process announces its experiment; the first wins
        return replace(
            row,
            name=p["name"],
            artifact_location=p["artifact_location"],
            creation_time=at,
            last_update_time=at,
            exists=True,
        )
    if kind == "ExperimentRenamed":
        return replace(row, name=p["name"], last_update_time=at)
    if kind == "ExperimentDeleted":
        return replace(row, lifecycle_stage="deleted", last_update_time=at)
    if kind == "ExperimentRestored":
        return replace(row, lifecycle_stage="active", last_update_time=at)
    raise ValueError(f"{kind} does not change an experiment row")


def apply_model_event(row: ModelRow, event: Event) -> ModelRow:
    """The model row after ``event``."""
    p = event.payload
    kind = event.event_type
    at = event.occurred_at
    if kind == "LoggedModelCreated":
        return replace(
            row,
            experiment_id=p["experiment_id"],
            name=p["name"],
            model_type=p["model_type"],
            source_run_id=p["source_run_id"] or "",
            artifact_location=p["artifact_location"],
            creation_time=at,
            last_update_time=at,
        )
    if kind == "LoggedModelStatusChanged":
        return replace(
            row,
            status=p["status"],
            status_message=p["status_message"],
            last_update_time=at,
        )
    if kind == "LoggedModelDeleted":
        return replace(row, lifecycle_stage="deleted", last_update_time=at)
    raise ValueError(f"{kind} does not change a model row")


MODEL_EVENTS = frozenset(
    {"LoggedModelCreated", "LoggedModelStatusChanged", "LoggedModelDeleted"}
)
RUN_EVENTS = frozenset(
    {"RunStarted", "RunStatusChanged", "RunRenamed", "RunDeleted", "RunRestored"}
)
EXPERIMENT_EVENTS = frozenset(
    {
        "ExperimentCreated",
        "ExperimentRenamed",
        "ExperimentDeleted",
        "ExperimentRestored",
    }
)


class EntityCache:
    """The latest run and experiment rows this projector wrote or read."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store
        self.runs: dict[str, RunRow] = {}
        self.experiments: dict[str, ExperimentRow] = {}
        self.models: dict[str, ModelRow] = {}

    def prefetch_runs(self, run_ids: Iterable[str]) -> None:
        """Load the rows of ``run_ids`` not cached yet, in one query: a batch that
        starts thousands of runs must not ask for each of them on its own."""
        missing = sorted(set(run_ids) - self.runs.keys())
        if not missing:
            return
        rows = self.store.query(
            f"SELECT * FROM {self.store.table('runs')} FINAL "
            "WHERE run_id IN {run_ids:Array(String)}",
            {"run_ids": missing},
        )
        found = {row["run_id"]: RunRow(**row) for row in rows}
        for run_id in missing:
            self.runs[run_id] = found.get(run_id, RunRow(run_id=run_id))

    def run(self, run_id: str) -> RunRow:
        if run_id not in self.runs:
            rows = self._select("runs", "run_id", run_id)
            self.runs[run_id] = RunRow(**rows[0]) if rows else RunRow(run_id=run_id)
        return self.runs[run_id]

    def experiment(self, experiment_id: str) -> ExperimentRow:
        if experiment_id not in self.experiments:
            rows = self._select("experiments", "experiment_id", experiment_id)
            self.experiments[experiment_id] = (
                ExperimentRow(**rows[0], exists=True)
                if rows
                else ExperimentRow(experiment_id=experiment_id)
            )
        return self.experiments[experiment_id]

    def model(self, model_id: str) -> ModelRow:
        if model_id not in self.models:
            rows = self._select("models", "model_id", model_id)
            self.models[model_id] = (
                ModelRow(**rows[0]) if rows else ModelRow(model_id=model_id)
            )
        return self.models[model_id]

    def _select(self, table: str, column: str, value: str) -> list[dict[str, Any]]:
        return self.store.query(
            f"SELECT * FROM {self.store.table(table)} FINAL "
            f"WHERE {column} = {{value:String}}",
            {"value": value},
        )


def experiment_columns(row: ExperimentRow) -> dict[str, Any]:
    columns = asdict(row)
    del columns["exists"]
    return columns
