"""What the SDK hands back: runs, experiments, metrics, artifact listings.

They mirror MLflow's entities (``run.info.run_id``, ``run.data.metrics``...), so
code written against MLflow reads them unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from runstream.events import now_ms

T = TypeVar("T")
TERMINAL_STATUSES = ("FINISHED", "FAILED", "KILLED")
RUN_STATUSES = ("RUNNING", "SCHEDULED", *TERMINAL_STATUSES)


@dataclass
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    status: str = "RUNNING"
    start_time: int = field(default_factory=now_ms)
    end_time: int | None = None
    user_id: str = ""
    lifecycle_stage: str = "active"
    artifact_uri: str = ""

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0
    rank: int = 0


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass
class RunData:
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Run:
    info: RunInfo
    data: RunData


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str = ""
    lifecycle_stage: str = "active"
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: int | None = None


class PagedList(list[T], Generic[T]):
    """A page of results; ``token`` asks for the next page (None on the last)."""

    def __init__(self, items: list[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token


def metric_number(value: Any) -> float:
    """A value as the query API sends it: JSON has no NaN or infinities."""
    if isinstance(value, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value]
    return float(value)


def run_from_json(body: dict[str, Any]) -> Run:
    """A ``Run`` from the query API's JSON for one run."""
    info = RunInfo(
        run_id=body["run_id"],
        experiment_id=body["experiment_id"],
        run_name=body["run_name"],
        status=body["status"],
        start_time=body["start_time"],
        end_time=body["end_time"],
        user_id=body.get("user", ""),
        lifecycle_stage=body.get("lifecycle_stage", "active"),
        artifact_uri=f"runs:/{body['run_id']}/artifacts",
    )
    metrics = {k: metric_number(v) for k, v in body.get("metrics", {}).items()}
    data = RunData(metrics, dict(body.get("params", {})), dict(body.get("tags", {})))
    return Run(info, data)


def experiment_from_json(body: dict[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=body["experiment_id"],
        name=body["name"],
        artifact_location=body.get("artifact_location", ""),
        lifecycle_stage=body.get("lifecycle_stage", "active"),
        tags=dict(body.get("tags") or {}),
        creation_time=body.get("creation_time"),
        last_update_time=body.get("last_update_time"),
    )
