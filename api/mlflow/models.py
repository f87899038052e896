"""MLflow 3's logged-model endpoints (``/logged-models``), which ``log_model``
uses: a model is created PENDING, its files go up through the artifact proxy under
``<experiment location>/models/<model_id>/artifacts``, then it is finalized READY.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from runstream import validation as v
from runstream.api.deps import ServiceDep
from runstream.api.mlflow import artifact_store, lookup, model_reads, render, wire
from runstream.api.mlflow.errors import MlflowRoute, invalid
from runstream.api.mlflow.experiments import require_active
from runstream.api.mlflow.writes import EventSpec, answer, write
from runstream.consumers.service import ProjectionService
from runstream.events import now_ms

logger = logging.getLogger(__name__)

router = APIRouter(route_class=MlflowRoute, tags=["mlflow logged models"])

MAX_SEARCH_RESULTS = 10_000
# MLflow's enum names, without their prefix, are what the projection keeps.
_STATUS = {
    "LOGGED_MODEL_PENDING": "PENDING",
    "LOGGED_MODEL_READY": "READY",
    "LOGGED_MODEL_UPLOAD_FAILED": "UPLOAD_FAILED",
}


@router.post("/logged-models/search")
def search_models(service: ServiceDep, body: wire.SearchModels) -> dict[str, Any]:
    if not 1 <= body.max_results <= MAX_SEARCH_RESULTS:
        raise invalid(f"max_results must be between 1 and {MAX_SEARCH_RESULTS}")
    order_by = [
        f"{order.field_name} {'ASC' if order.ascending else 'DESC'}"
        for order in body.order_by
    ]
    rows, token = model_reads.search_models(
        service.store,
        body.experiment_ids,
        body.filter,
        order_by,
        body.max_results,
        body.page_token,
    )
    found: dict[str, Any] = {"models": lookup.models_json(service.store, rows)}
    if token:
        found["next_page_token"] = token
    return found


@router.post("/logged-models")
def create_model(service: ServiceDep, body: wire.CreateModel) -> JSONResponse:
    experiment = require_active(service, body.experiment_id)
    if body.source_run_id:
        lookup.require_run(service, body.source_run_id)
    model_id = f"m-{uuid.uuid4().hex}"
    params = _checked(model_id, "param", body.params, v.MAX_PARAM_VALUE_LENGTH)
    tags = _checked(model_id, "tag", body.tags, v.MAX_TAG_VALUE_LENGTH)

    location = render.experiment_location(
        body.experiment_id, experiment["artifact_location"]
    )
    created = {
        "model_id": model_id,
        "experiment_id": body.experiment_id,
        "name": body.name or f"model-{model_id[2:10]}",
        "model_type": body.model_type,
        "source_run_id": body.source_run_id or None,
        "artifact_location": render.model_artifact_uri(location, model_id),
    }
    events: list[EventSpec] = [("LoggedModelCreated", created)]
    events += _key_value_events(model_id, params, tags)
    applied = write(service, events)
    logger.info(
        "model created model_id=%s experiment_id=%s", model_id, body.experiment_id
    )

    now = now_ms()
    row = {
        **created,
        "source_run_id": body.source_run_id,
        "status": "PENDING",
        "status_message": "",
        "creation_time": now,
        "last_update_time": now,
    }
    return answer({"model": render.model(row, tags, params)}, applied)


@router.get("/logged-models/{model_id}")
def get_model(
    service: ServiceDep, model_id: str, allow_deleted: bool = False
) -> dict[str, Any]:
    row = model_reads.model(service.store, model_id)
    if row is None or (row["lifecycle_stage"] != "active" and not allow_deleted):
        row = lookup.require_model(service.store, model_id)
    return {"model": lookup.models_json(service.store, [row])[0]}


@router.patch("/logged-models/{model_id}")
def finalize_model(
    service: ServiceDep, model_id: str, body: wire.FinalizeModel
) -> JSONResponse:
    lookup.require_model(service.store, model_id)
    status = _STATUS.get(body.status)
    if status is None:
        raise invalid(f"status must be one of {', '.join(_STATUS)}, not {body.status}")
    changed = {"model_id": model_id, "status": status, "status_message": ""}
    applied = write(service, [("LoggedModelStatusChanged", changed)])
    return answer({"model": _model_json(service, model_id)}, applied)


@router.delete("/logged-models/{model_id}")
def delete_model(service: ServiceDep, model_id: str) -> JSONResponse:
    lookup.require_model(service.store, model_id)
    return answer({}, write(service, [("LoggedModelDeleted", {"model_id": model_id})]))


@router.patch("/logged-models/{model_id}/tags")
def set_model_tags(
    service: ServiceDep, model_id: str, body: wire.ModelTags
) -> JSONResponse:
    lookup.require_model(service.store, model_id)
    tags = _checked(model_id, "tag", body.tags, v.MAX_TAG_VALUE_LENGTH)
    applied = write(service, _key_value_events(model_id, {}, tags))
    return answer({"model": _model_json(service, model_id)}, applied)


@router.delete("/logged-models/{model_id}/tags/{key:path}")
def delete_model_tag(service: ServiceDep, model_id: str, key: str) -> JSONResponse:
    lookup.require_model(service.store, model_id)
    deleted = {"model_id": model_id, "key": key}
    return answer({}, write(service, [("LoggedModelTagDeleted", deleted)]))


@router.post("/logged-models/{model_id}/params")
def log_model_params(
    service: ServiceDep, model_id: str, body: wire.ModelParams
) -> JSONResponse:
    lookup.require_model(service.store, model_id)
    params = _checked(model_id, "param", body.params, v.MAX_PARAM_VALUE_LENGTH)
    return answer({}, write(service, _key_value_events(model_id, params, {})))


@router.get("/logged-models/{model_id}/artifacts/directories")
def list_model_artifacts(
    service: ServiceDep,
    model_id: str,
    query: Annotated[wire.ModelArtifacts, Query()],
) -> dict[str, Any]:
    row = lookup.require_model(service.store, model_id)
    root_uri = row["artifact_location"]
    if not root_uri.startswith(render.PROXY_SCHEME):
        # TODO: list models whose experiment keeps artifacts outside runstream.
        return {"root_uri": root_uri, "files": []}

    folder = (query.artifact_directory_path or "").strip("/")
    root = root_uri.removeprefix(render.PROXY_SCHEME).strip("/")
    location = artifact_store.locate(f"{root}/{folder}" if folder else root)
    files = artifact_store.list_folder(service, location.key)
    for file in files:
        file["path"] = f"{folder}/{file['path']}" if folder else file["path"]
    return {"root_uri": root_uri, "files": files}


def _model_json(service: ProjectionService, model_id: str) -> dict[str, Any]:
    row = lookup.require_model(service.store, model_id)
    return lookup.models_json(service.store, [row])[0]


def _checked(
    model_id: str, kind: str, pairs: list[wire.KeyValue], limit: int
) -> dict[str, str]:
    checked = {}
    for pair in pairs:
        v.check_key(kind, pair.key, model_id, owner="model")
        checked[pair.key] = v.check_text(
            kind, pair.key, pair.value, limit, model_id, "model"
        )
    return checked


def _key_value_events(
    model_id: str, params: dict[str, str], tags: dict[str, str]
) -> list[EventSpec]:
    events: list[EventSpec] = []
    for event_type, pairs in (
        ("LoggedModelParamsLogged", params),
        ("LoggedModelTagsSet", tags),
    ):
        if pairs:
            columns = {"keys": list(pairs), "values": list(pairs.values())}
            events.append((event_type, {"model_id": model_id, **columns}))
    return events
