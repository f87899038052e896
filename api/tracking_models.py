"""The JSON shapes of the tracking reads: searches, experiments, metric history."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from runstream.api.models import MetricValue, RequestBody, Run
from runstream.api.search import MAX_RESULTS

ViewType = Literal["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]


class RunSearch(RequestBody):
    experiment_ids: list[str] = Field(description="the experiments to search")
    filter: str = Field(
        default="",
        description="MLflow's filter grammar, e.g. \"metrics.acc > 0.9 AND "
        "params.optimizer = 'adam'\"",
    )
    order_by: list[str] = Field(
        default_factory=list, description='e.g. ["metrics.acc DESC"]'
    )
    max_results: int = Field(default=1000, ge=1, le=MAX_RESULTS)
    page_token: str | None = None
    view_type: ViewType = "ACTIVE_ONLY"


class RunPage(BaseModel):
    runs: list[Run]
    next_page_token: str | None = Field(description="null on the last page")


class ExperimentSearch(RequestBody):
    filter: str = Field(default="", description="e.g. \"name LIKE 'vision-%'\"")
    order_by: list[str] = Field(default_factory=list)
    max_results: int = Field(default=1000, ge=1, le=MAX_RESULTS)
    page_token: str | None = None
    view_type: ViewType = "ACTIVE_ONLY"


class ExperimentDetail(BaseModel):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: int = Field(description="milliseconds since the epoch")
    last_update_time: int = Field(description="milliseconds since the epoch")
    tags: dict[str, str]


class ExperimentPage(BaseModel):
    experiments: list[ExperimentDetail]
    next_page_token: str | None = Field(description="null on the last page")


class HistoryColumns(BaseModel):
    step: list[int]
    timestamp: list[int]
    value: list[MetricValue]
    rank: list[int]


class MetricHistory(BaseModel):
    run_id: str
    key: str
    rank: int | None = Field(description="null: every rank's points, merged")
    total_points: int
    points: HistoryColumns
    next_page_token: str | None = Field(description="null on the last page")


class MetricSummaryEntry(BaseModel):
    key: str
    rank: int | None = Field(description="null in the merged list")
    points: int
    latest_value: MetricValue
    latest_step: int
    latest_timestamp: int


class MetricSummary(BaseModel):
    run_id: str
    per_rank: list[MetricSummaryEntry]
    merged: list[MetricSummaryEntry] = Field(
        description="every rank together; latest is the highest step, then the "
        "latest timestamp"
    )
