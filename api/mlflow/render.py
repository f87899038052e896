"""Projection rows in the JSON shapes of MLflow's protobuf messages.

Timestamps are milliseconds since the epoch, as in the projections. Artifacts
live behind runstream's artifact proxy: an experiment without a location of its
own keeps them under ``mlflow-artifacts:/<experiment_id>``, which the client
resolves against its tracking URI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runstream.api.models import metric_value

PROXY_SCHEME = "mlflow-artifacts:"

# Runstream keeps model statuses without MLflow's enum prefix.
MODEL_STATUS_NAMES = {
    "PENDING": "LOGGED_MODEL_PENDING",
    "READY": "LOGGED_MODEL_READY",
    "UPLOAD_FAILED": "LOGGED_MODEL_UPLOAD_FAILED",
}


def key_values(pairs: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": value} for key, value in sorted(pairs.items())]


def experiment_location(experiment_id: str, artifact_location: str) -> str:
    return artifact_location or f"{PROXY_SCHEME}/{experiment_id}"


def run_artifact_uri(experiment_location: str, run_id: str) -> str:
    return f"{experiment_location.rstrip('/')}/{run_id}/artifacts"


def model_artifact_uri(experiment_location: str, model_id: str) -> str:
    return f"{experiment_location.rstrip('/')}/models/{model_id}/artifacts"


def experiment(row: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    experiment_id = row["experiment_id"]
    return {
        "experiment_id": experiment_id,
        "name": row["name"],
        "artifact_location": experiment_location(
            experiment_id, row["artifact_location"]
        ),
        "lifecycle_stage": row["lifecycle_stage"],
        "creation_time": row["creation_time"],
        "last_update_time": row["last_update_time"],
        "tags": key_values(tags),
    }


def run_info(row: Mapping[str, Any], experiment_location: str) -> dict[str, Any]:
    info = {
        "run_id": row["run_id"],
        "run_uuid": row["run_id"],
        "run_name": row["run_name"],
        "experiment_id": row["experiment_id"],
        "user_id": row["user"],
        "status": row["status"],
        "start_time": row["start_time"],
        "artifact_uri": run_artifact_uri(experiment_location, row["run_id"]),
        "lifecycle_stage": row["lifecycle_stage"],
    }
    if row.get("end_time") is not None:
        info["end_time"] = row["end_time"]
    return info


def metric(key: str, value: float, timestamp: int, step: int) -> dict[str, Any]:
    return {
        "key": key,
        "value": metric_value(value),
        "timestamp": timestamp,
        "step": step,
    }


def run(
    info: dict[str, Any],
    params: Mapping[str, str],
    tags: Mapping[str, str],
    metrics: Sequence[dict[str, Any]],
    dataset_inputs: Sequence[dict[str, Any]],
    model_outputs: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "info": info,
        "data": {
            "metrics": list(metrics),
            "params": key_values(params),
            "tags": key_values(tags),
        },
        "inputs": {"dataset_inputs": list(dataset_inputs)},
        "outputs": {"model_outputs": list(model_outputs)},
    }


def dataset_input(row: Mapping[str, Any]) -> dict[str, Any]:
    tags = {"mlflow.data.context": row["context"]} if row["context"] else {}
    return {
        "tags": key_values(tags),
        "dataset": {
            "name": row["name"],
            "digest": row["digest"],
            "source_type": row["source_type"],
            "source": row["source"],
            "schema": row["schema"],
            "profile": row["profile"],
        },
    }


def model(
    row: Mapping[str, Any], tags: Mapping[str, str], params: Mapping[str, str]
) -> dict[str, Any]:
    info = {
        "model_id": row["model_id"],
        "experiment_id": row["experiment_id"],
        "name": row["name"],
        "creation_timestamp_ms": row["creation_time"],
        "last_updated_timestamp_ms": row["last_update_time"],
        "artifact_uri": row["artifact_location"],
        "status": MODEL_STATUS_NAMES.get(row["status"], "LOGGED_MODEL_PENDING"),
        "model_type": row["model_type"],
        "status_message": row["status_message"],
        "tags": key_values(tags),
    }
    if row["source_run_id"]:
        info["source_run_id"] = row["source_run_id"]
    # TODO: model metrics (points logged with a model_id) are not projected yet.
    return {"info": info, "data": {"params": key_values(params), "metrics": []}}
