"""MLflow's logging endpoints: ``runs/log-metric``, ``log-parameter``,
``log-batch``, ``set-tag``, ``delete-tag``, ``log-inputs``, ``outputs`` and
``log-model``.

Everything is checked against MLflow's rules before any event is written, so a
batch is taken whole or refused whole. Params are immutable: logging one again
with the same value is fine, another value is refused, as in MLflow.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from runstream import validation as v
from runstream.api import queries
from runstream.api.deps import ServiceDep
from runstream.api.mlflow import lookup, wire
from runstream.api.mlflow.errors import MlflowRoute, invalid, not_found
from runstream.api.mlflow.runs import RUN_NAME_TAG, renamed
from runstream.api.mlflow.writes import (
    EventSpec,
    answer,
    checked_run_write,
    write,
)
from runstream.consumers.service import ProjectionService

logger = logging.getLogger(__name__)

router = APIRouter(route_class=MlflowRoute, tags=["mlflow logging"])

# MLflow's limits on what one batch may hold, besides runstream's per-kind ones.
MAX_ENTITIES_PER_BATCH = 1_000
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
CONTEXT_TAG = "mlflow.data.context"


@router.post("/runs/log-metric")
def log_metric(service: ServiceDep, body: wire.LogMetric) -> JSONResponse:
    return _log(service, body.id, [body], {}, {})


@router.post("/runs/log-parameter")
def log_param(service: ServiceDep, body: wire.LogParam) -> JSONResponse:
    return _log(service, body.id, [], {body.key: body.value}, {})


@router.post("/runs/set-tag")
def set_tag(service: ServiceDep, body: wire.SetTag) -> JSONResponse:
    return _log(service, body.id, [], {}, {body.key: body.value})


@router.post("/runs/log-batch")
def log_batch(service: ServiceDep, body: wire.LogBatch) -> JSONResponse:
    total = len(body.metrics) + len(body.params) + len(body.tags)
    if total > MAX_ENTITIES_PER_BATCH:
        raise invalid(
            f"A batch logging request can contain at most {MAX_ENTITIES_PER_BATCH} "
            f"metrics, params and tags in total; got {total}, so split it"
        )
    v.check_batch(body.id, len(body.metrics), len(body.params), len(body.tags))
    params: dict[str, str] = {}
    for param in body.params:
        if params.get(param.key, param.value) != param.value:
            raise invalid(
                f"Duplicate parameter keys have been submitted: {param.key!r} with "
                "different values; send one value per key"
            )
        params[param.key] = param.value
    tags = {tag.key: tag.value for tag in body.tags}
    return _log(service, body.id, body.metrics, params, tags)


@router.post("/runs/delete-tag")
def delete_tag(service: ServiceDep, body: wire.DeleteTag) -> JSONResponse:
    run_id = body.id
    lookup.require_run(service, run_id, active=True)
    if body.key not in queries.tags_of(service.store, [run_id]).get(run_id, {}):
        raise not_found(f"No tag with name: {body.key} in run with id {run_id}")
    deleted = {"run_id": run_id, "key": body.key}
    return answer({}, write(service, [("TagDeleted", deleted)]))


@router.post("/runs/log-inputs")
def log_inputs(service: ServiceDep, body: wire.LogInputs) -> JSONResponse:
    run_id = body.id
    lookup.require_run(service, run_id, active=True)
    datasets = [_dataset(run_id, entry) for entry in body.datasets]
    # TODO: model inputs (body.models) have no event yet, so they are not kept.
    if not datasets:
        return answer({})
    inputs = {"run_id": run_id, "datasets": datasets}
    return answer({}, write(service, [("InputsLogged", inputs)]))


@router.post("/runs/outputs")
def log_outputs(service: ServiceDep, body: wire.LogOutputs) -> JSONResponse:
    run_id = body.id
    lookup.require_run(service, run_id, active=True)
    for output in body.models:
        lookup.require_model(service.store, output.model_id)
    outputs = {
        "run_id": run_id,
        "model_ids": [output.model_id for output in body.models],
        "steps": [output.step for output in body.models],
    }
    return answer({}, write(service, [("OutputsLogged", outputs)]))


@router.post("/runs/log-model")
def log_model(service: ServiceDep, body: wire.LogModel) -> JSONResponse:
    """MLflow 2's record of a model saved under a run's artifacts (an MLmodel)."""
    run_id = body.id
    lookup.require_run(service, run_id, active=True)
    try:
        model = json.loads(body.model_json)
        logged = {
            "run_id": run_id,
            "artifact_path": str(model["artifact_path"]),
            "model_uuid": str(model.get("model_uuid") or ""),
            "flavors": sorted(model.get("flavors") or {}),
            "utc_time_created": str(model.get("utc_time_created") or ""),
            # JSON is YAML too, so the descriptor keeps its one format.
            "mlmodel": body.model_json,
        }
    except (ValueError, KeyError, TypeError) as e:
        raise invalid(f"model_json is not an MLmodel as JSON: {e}") from e
    # TODO: MLflow also appends the model to the run's mlflow.log-model.history tag.
    return answer({}, write(service, [("ModelLogged", logged)]))


def _log(
    service: ProjectionService,
    run_id: str,
    metrics: Sequence[wire.Metric],
    params: dict[str, str],
    tags: dict[str, str],
) -> JSONResponse:
    """Check, then write metrics, params and tags of one run as one append."""
    for metric in metrics:
        v.check_key("metric", metric.key, run_id)
        v.check_timestamp(metric.key, metric.timestamp, run_id)
    for key, value in params.items():
        v.check_key("param", key, run_id)
        v.check_text("param", key, value, v.MAX_PARAM_VALUE_LENGTH, run_id)
    for key, value in tags.items():
        v.check_key("tag", key, run_id)
        v.check_text("tag", key, value, v.MAX_TAG_VALUE_LENGTH, run_id)
    events = _metric_events(run_id, metrics)
    if tags:
        events.append(("TagsSet", {"run_id": run_id, **_columns(tags)}))
        if RUN_NAME_TAG in tags:
            events += renamed(run_id, tags[RUN_NAME_TAG])[:1]
    if not params:
        lookup.require_run(service, run_id, active=True)
        return answer({}, write(service, events) if events else True)

    # The immutability check and the write must not interleave with another's.
    with checked_run_write(run_id):
        lookup.require_run(service, run_id, active=True)
        _require_unchanged(service, run_id, params)
        events.append(("ParamsLogged", {"run_id": run_id, **_columns(params)}))
        applied = write(service, events)
    return answer({}, applied)


def _metric_events(run_id: str, metrics: Sequence[wire.Metric]) -> list[EventSpec]:
    if not metrics:
        return []
    names: dict[str, int] = {}
    name_index = [names.setdefault(m.key, len(names)) for m in metrics]
    points = {
        "run_id": run_id,
        "names": list(names),
        "name_index": name_index,
        "values": [m.value for m in metrics],
        "steps": [m.step for m in metrics],
        "timestamps": [m.timestamp for m in metrics],
    }
    return [("MetricsLogged", points)]


def _require_unchanged(
    service: ProjectionService, run_id: str, params: dict[str, str]
) -> None:
    logged = queries.params_of(service.store, [run_id]).get(run_id, {})
    changed = [
        {"key": key, "old_value": logged[key], "new_value": value}
        for key, value in params.items()
        if key in logged and logged[key] != value
    ]
    if changed:
        raise invalid(
            f"Changing param values is not allowed. Params were already logged="
            f"'{changed}' for run ID='{run_id}'. Log the new value under a new key "
            "or in a new run"
        )


def _dataset(run_id: str, entry: wire.DatasetInput) -> dict[str, Any]:
    dataset = entry.dataset
    if len(dataset.name) > MAX_DATASET_NAME_LENGTH:
        raise invalid(
            f"dataset name of run {run_id} has {len(dataset.name)} characters; "
            f"the limit is {MAX_DATASET_NAME_LENGTH}"
        )
    if len(dataset.digest) > MAX_DATASET_DIGEST_LENGTH:
        raise invalid(
            f"dataset digest of run {run_id} has {len(dataset.digest)} characters; "
            f"the limit is {MAX_DATASET_DIGEST_LENGTH}"
        )
    tags = {tag.key: tag.value for tag in entry.tags}
    # TODO: dataset input tags other than mlflow.data.context are not kept.
    return {
        "name": dataset.name,
        "digest": dataset.digest,
        "source_type": dataset.source_type,
        "source": dataset.source,
        "schema": dataset.dataset_schema,
        "profile": dataset.profile,
        "context": tags.get(CONTEXT_TAG, ""),
    }


def _columns(pairs: dict[str, str]) -> dict[str, list[str]]:
    return {"keys": list(pairs), "values": list(pairs.values())}
