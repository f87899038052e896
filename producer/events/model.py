"""The event model: what an event is, which topic it goes to, and what keys it."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

TRACKING_TOPIC = "runstream.tracking"
REGISTRY_TOPIC = "runstream.registry"
DEAD_LETTER_TOPIC = "runstream.dead-letter"

SCHEMA_VERSION = 1

# The payload field that keys each event type: it chooses the partition, so all
# events of one run (or one experiment) stay in order.
KEY_FIELDS: dict[str, str] = {
    "ExperimentCreated": "experiment_id",
    "ExperimentRenamed": "experiment_id",
    "ExperimentDeleted": "experiment_id",
    "ExperimentRestored": "experiment_id",
    "ExperimentTagSet": "experiment_id",
    "ExperimentTagDeleted": "experiment_id",
    "RunStarted": "run_id",
    "RunStatusChanged": "run_id",
    "RunRenamed": "run_id",
    "RunDeleted": "run_id",
    "RunRestored": "run_id",
    "ParamsLogged": "run_id",
    "TagsSet": "run_id",
    "TagDeleted": "run_id",
    "MetricsLogged": "run_id",
    "ArtifactLogged": "run_id",
    "InputsLogged": "run_id",
    "ModelLogged": "run_id",
    "OutputsLogged": "run_id",
    # MLflow 3's logged models (ids m-...), each keyed by its own id.
    "LoggedModelCreated": "model_id",
    "LoggedModelStatusChanged": "model_id",
    "LoggedModelDeleted": "model_id",
    "LoggedModelTagsSet": "model_id",
    "LoggedModelTagDeleted": "model_id",
    "LoggedModelParamsLogged": "model_id",
}

TOPICS: dict[str, str] = {name: TRACKING_TOPIC for name in KEY_FIELDS}

# Registry events are keyed by the name a model was first registered under, which
# a rename does not change: the model's whole history stays in one partition, in
# order, while its document moves to the new name (see consumers/registry).
REGISTRY_EVENTS = (
    "RegisteredModelCreated",
    "RegisteredModelRenamed",
    "RegisteredModelDeleted",
    "RegisteredModelDescribed",
    "RegisteredModelTagSet",
    "ModelVersionCreated",
    "ModelVersionStageTransitioned",
    "ModelVersionDescribed",
    "ModelVersionTagSet",
    "ModelVersionDeleted",
    "AliasSet",
    "AliasDeleted",
)
KEY_FIELDS.update({name: "registered_name" for name in REGISTRY_EVENTS})
TOPICS.update({name: REGISTRY_TOPIC for name in REGISTRY_EVENTS})


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Event:
    """An immutable fact: an event type, its payload, and the envelope fields."""

    event_type: str
    payload: dict[str, Any]
    producer_id: str = ""
    sequence: int = 0
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: int = field(default_factory=now_ms)
    schema_version: int = SCHEMA_VERSION

    @property
    def key(self) -> str:
        return str(self.payload[KEY_FIELDS[self.event_type]])

    @property
    def topic(self) -> str:
        return TOPICS[self.event_type]
