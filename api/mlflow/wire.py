"""The requests MLflow's client sends, as pydantic models.

The client writes protobuf messages as JSON with the proto field names: 64-bit
integers may arrive as numbers or strings, doubles may be "NaN", "Infinity" or
"-Infinity", and fields it leaves unset are missing. GET requests carry the same
fields as query parameters (a repeated field repeats the parameter). Old clients
name the run ``run_uuid``, so run requests accept both.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ViewType = Literal["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]
RunStatus = Literal["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
# A protobuf int64. Python's ints are unbounded, and ClickHouse wraps a bound
# parameter past 64 bits round instead of refusing it (a start_step of 2**64
# read as 0), so the range is checked here, where the error can name the field;
# ClickHouseStore refuses one that a route forgets (clickhouse/parameters.py).
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class Message(BaseModel):
    # Fields this build does not use are ignored, as protobuf parsers do.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class KeyValue(Message):
    key: str
    value: str = ""


class RunRef(Message):
    run_id: str = ""
    run_uuid: str = ""

    @property
    def id(self) -> str:
        return self.run_id or self.run_uuid


# -- experiments ---------------------------------------------------------------------


class CreateExperiment(Message):
    name: str = ""
    artifact_location: str = ""
    tags: list[KeyValue] = []


class ExperimentRef(Message):
    experiment_id: str


class ExperimentByName(Message):
    experiment_name: str


class UpdateExperiment(Message):
    experiment_id: str
    new_name: str = ""


class ExperimentTag(Message):
    experiment_id: str
    key: str
    value: str = ""


class ExperimentTagKey(Message):
    experiment_id: str
    key: str


class SearchExperiments(Message):
    max_results: int = 1000
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    view_type: ViewType = "ACTIVE_ONLY"


# -- runs ----------------------------------------------------------------------------


class CreateRun(Message):
    experiment_id: str = "0"
    user_id: str = ""
    run_name: str = ""
    start_time: Int64 | None = None
    tags: list[KeyValue] = []


class UpdateRun(RunRef):
    status: RunStatus | None = None
    end_time: Int64 | None = None
    run_name: str | None = None


class SetTag(RunRef):
    key: str
    value: str = ""


class DeleteTag(RunRef):
    key: str


class SearchRuns(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    run_view_type: ViewType = "ACTIVE_ONLY"
    max_results: int = 1000
    order_by: list[str] = []
    page_token: str | None = None


# -- logging -------------------------------------------------------------------------


class Metric(Message):
    key: str
    value: float
    timestamp: Int64
    step: Int64 = 0


class LogMetric(RunRef, Metric):
    pass


class LogParam(RunRef):
    key: str
    value: str = ""


class LogBatch(RunRef):
    metrics: list[Metric] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class Dataset(Message):
    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    dataset_schema: str = Field(default="", alias="schema")
    profile: str = ""


class DatasetInput(Message):
    tags: list[KeyValue] = []
    dataset: Dataset


class ModelRef(Message):
    model_id: str


class LogInputs(RunRef):
    datasets: list[DatasetInput] = []
    models: list[ModelRef] = []


class ModelOutput(Message):
    model_id: str
    step: Int64 = 0


class LogOutputs(RunRef):
    models: list[ModelOutput] = []


class LogModel(RunRef):
    model_json: str


# -- reads ---------------------------------------------------------------------------


class MetricHistory(RunRef):
    metric_key: str
    page_token: str | None = None
    max_results: int | None = None


class MetricHistoryBulkInterval(Message):
    run_ids: list[str] = []
    metric_key: str
    start_step: Int64 | None = None
    end_step: Int64 | None = None
    max_results: int | None = None


class ListArtifacts(RunRef):
    path: str | None = None
    page_token: str | None = None


# -- logged models -------------------------------------------------------------------

ModelStatus = Literal[
    "LOGGED_MODEL_STATUS_UNSPECIFIED",
    "LOGGED_MODEL_PENDING",
    "LOGGED_MODEL_READY",
    "LOGGED_MODEL_UPLOAD_FAILED",
]


class CreateModel(Message):
    experiment_id: str
    name: str = ""
    model_type: str = ""
    source_run_id: str = ""
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class FinalizeModel(Message):
    status: ModelStatus


class ModelTags(Message):
    tags: list[KeyValue] = []


class ModelParams(Message):
    params: list[KeyValue] = []


class SearchModelsOrder(Message):
    field_name: str
    ascending: bool = True


class SearchModels(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    max_results: int = 50
    order_by: list[SearchModelsOrder] = []
    page_token: str | None = None


class ModelArtifacts(Message):
    artifact_directory_path: str | None = None
    page_token: str | None = None


# -- model registry ------------------------------------------------------------------


class ModelName(Message):
    name: str


class CreateRegisteredModel(ModelName):
    tags: list[KeyValue] = []
    description: str = ""


class RenameRegisteredModel(ModelName):
    new_name: str


class UpdateRegisteredModel(ModelName):
    description: str = ""


class SearchRegistry(Message):
    filter: str | None = None
    max_results: int = 100
    order_by: list[str] = []
    page_token: str | None = None


class LatestVersions(ModelName):
    stages: list[str] = []


class ModelTag(ModelName):
    key: str
    value: str = ""


class ModelTagKey(ModelName):
    key: str


class AliasRef(ModelName):
    alias: str


class SetAlias(AliasRef):
    version: str


class VersionRef(ModelName):
    version: str


class CreateModelVersion(ModelName):
    source: str = ""
    run_id: str = ""
    tags: list[KeyValue] = []
    run_link: str = ""
    description: str = ""
    model_id: str = ""


class UpdateModelVersion(VersionRef):
    description: str = ""


class TransitionStage(VersionRef):
    stage: str
    archive_existing_versions: bool = False


class VersionTag(VersionRef):
    key: str
    value: str = ""


class VersionTagKey(VersionRef):
    key: str
