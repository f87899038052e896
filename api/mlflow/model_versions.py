"""MLflow's Model Registry endpoints for versions: ``model-versions/create``,
``get``, ``update``, ``delete``, ``search``, ``get-download-uri``,
``transition-stage`` and the version tags.

A version's source is kept as the client sent it: ``models:/<model_id>`` (what
MLflow 3's ``log_model`` and ``register_model`` send), ``runs:/<run_id>/<path>``
or an artifact URI. ``get-download-uri`` resolves a logged model's source to the
model's artifact location, which the client then reads through the artifact
proxy; every other source already is a URI the client can read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from runstream.api.deps import ServiceDep
from runstream.api.mlflow import lookup, wire
from runstream.api.mlflow.errors import MlflowRoute
from runstream.api.mlflow.registry import (
    LOGGED_MODEL_SCHEME,
    ClientDep,
    client_filter,
    logged_model_id,
    ordered,
    page,
    version_json,
)
from runstream.api.mlflow.writes import answer

logger = logging.getLogger(__name__)

router = APIRouter(route_class=MlflowRoute, tags=["mlflow model registry"])

MAX_VERSION_RESULTS = 200_000
_ALL = 10**9

_VERSION_ORDER: dict[str, Callable[..., Any]] = {
    "name": lambda v: v.name,
    "version_number": lambda v: v.version,
    "creation_timestamp": lambda v: v.creation_timestamp,
    "timestamp": lambda v: v.creation_timestamp,
    "last_updated_timestamp": lambda v: v.last_updated_timestamp,
}


@router.post("/model-versions/create")
def create_version(
    service: ServiceDep, client: ClientDep, body: wire.CreateModelVersion
) -> JSONResponse:
    source = body.source or (
        f"{LOGGED_MODEL_SCHEME}{body.model_id}" if body.model_id else ""
    )
    # TODO: a model_id sent beside a source of another kind is not kept.
    run_id = body.run_id or None
    model_id = logged_model_id(source)
    if model_id is not None:
        row = lookup.require_model(service.store, model_id)
        # A logged model's lineage is the run that logged it, when the client
        # names no run of its own.
        run_id = run_id or row.get("source_run_id") or None
    tags = {tag.key: tag.value for tag in body.tags}
    version = client.create_model_version(
        body.name, source, run_id, tags, body.description
    )
    logger.info(
        "model version created name=%s version=%d", version.name, version.version
    )
    return answer({"model_version": version_json(version)})


@router.get("/model-versions/get")
def get_version(
    client: ClientDep, query: Annotated[wire.VersionRef, Query()]
) -> dict[str, Any]:
    version = client.get_model_version(query.name, query.version)
    return {"model_version": version_json(version)}


@router.patch("/model-versions/update")
def update_version(client: ClientDep, body: wire.UpdateModelVersion) -> JSONResponse:
    version = client.update_model_version(body.name, body.version, body.description)
    return answer({"model_version": version_json(version)})


@router.delete("/model-versions/delete")
def delete_version(client: ClientDep, body: wire.VersionRef) -> JSONResponse:
    client.delete_model_version(body.name, body.version)
    logger.info("model version deleted name=%s version=%s", body.name, body.version)
    return answer({})


@router.get("/model-versions/search")
def search_versions(
    client: ClientDep, query: Annotated[wire.SearchRegistry, Query()]
) -> dict[str, Any]:
    versions = client.search_model_versions(client_filter(query.filter), _ALL)
    versions = ordered(versions, query.order_by, _VERSION_ORDER)
    rows, token = page(
        versions, query.max_results, query.page_token, MAX_VERSION_RESULTS
    )
    found: dict[str, Any] = {"model_versions": [version_json(v) for v in rows]}
    if token:
        found["next_page_token"] = token
    return found


@router.get("/model-versions/get-download-uri")
def download_uri(
    service: ServiceDep, client: ClientDep, query: Annotated[wire.VersionRef, Query()]
) -> dict[str, Any]:
    version = client.get_model_version(query.name, query.version)
    model_id = logged_model_id(version.source)
    if model_id is None:
        return {"artifact_uri": version.source}
    row = lookup.require_model(service.store, model_id)
    return {"artifact_uri": row["artifact_location"]}


@router.post("/model-versions/transition-stage")
def transition_stage(client: ClientDep, body: wire.TransitionStage) -> JSONResponse:
    version = client.transition_model_version_stage(
        body.name, body.version, body.stage, body.archive_existing_versions
    )
    logger.info(
        "model version moved name=%s version=%d stage=%s",
        version.name,
        version.version,
        version.current_stage,
    )
    return answer({"model_version": version_json(version)})


@router.post("/model-versions/set-tag")
def set_version_tag(client: ClientDep, body: wire.VersionTag) -> JSONResponse:
    client.set_model_version_tag(body.name, body.version, body.key, body.value)
    return answer({})


@router.delete("/model-versions/delete-tag")
def delete_version_tag(client: ClientDep, body: wire.VersionTagKey) -> JSONResponse:
    client.delete_model_version_tag(body.name, body.version, body.key)
    return answer({})
