"""The JSON shapes the query API answers with, and the base of what it takes.

JSON has no NaN or infinities, yet a metric may hold them; like MLflow's REST API
we send them as the strings "NaN", "Infinity" and "-Infinity".
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MetricValue = float | Literal["NaN", "Infinity", "-Infinity"]
XAxis = Literal["step", "timestamp"]


class RequestBody(BaseModel):
    """A JSON body the API takes. A field it does not know is refused (422 naming
    it), not ignored: a misspelled ``filter`` would otherwise search everything."""

    model_config = ConfigDict(extra="forbid")


def metric_value(value: float) -> MetricValue:
    """``value`` as JSON can carry it: non-finite floats become their names."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


class Experiment(BaseModel):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: int = Field(description="milliseconds since the epoch")
    last_update_time: int = Field(description="milliseconds since the epoch")


class ExperimentList(BaseModel):
    experiments: list[Experiment]


class Run(BaseModel):
    run_id: str
    experiment_id: str
    run_name: str
    user: str
    status: str
    start_time: int = Field(description="milliseconds since the epoch")
    end_time: int | None = Field(description="null while the run is active")
    parent_run_id: str | None = Field(description="null for a top-level run")
    lifecycle_stage: str
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, MetricValue] = Field(
        description="each key's latest value: the point with the largest "
        "(step, timestamp)"
    )


class RunList(BaseModel):
    runs: list[Run]


class MetricSeries(BaseModel):
    run_id: str
    key: str
    rank: int | None = Field(
        default=None, description="the writer's rank; null: every rank merged"
    )
    x_axis: XAxis
    total_points: int = Field(description="points stored for this run and key")
    downsampled: bool = Field(
        description="true when the points were reduced to max_points with the "
        "largest-triangle-three-buckets algorithm"
    )
    x: list[int]
    y: list[MetricValue]


class MetricSeriesList(BaseModel):
    series: list[MetricSeries]


class HistoryEvent(BaseModel):
    topic: str
    partition: int
    offset: int
    event_id: str
    event_type: str
    occurred_at: int = Field(description="milliseconds since the epoch")
    producer_id: str = Field(description="the process that wrote the event")
    sequence: int = Field(description="the event's number within its producer")


class EventHistory(BaseModel):
    key: str
    total: int = Field(description="events of this entity, all pages together")
    events: list[HistoryEvent]


class ArtifactFile(BaseModel):
    path: str
    size: int = Field(description="bytes")
    sha256: str


class ArtifactList(BaseModel):
    run_id: str
    files: list[ArtifactFile]
