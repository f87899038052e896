"""Artifacts: MLflow's artifact proxy (``/api/2.0/mlflow-artifacts/artifacts``),
through which the client uploads and downloads files, and the tracking API's
``artifacts/list`` of a run's files."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from runstream.api.deps import ServiceDep
from runstream.api.mlflow import artifact_store, lookup, render, wire
from runstream.api.mlflow.errors import (
    NOT_IMPLEMENTED,
    MlflowError,
    MlflowRoute,
    not_found,
)
from runstream.api.mlflow.writes import answer
from runstream.blobs import artifact_key

proxy = APIRouter(route_class=MlflowRoute, tags=["mlflow artifact proxy"])
router = APIRouter(route_class=MlflowRoute, tags=["mlflow artifacts"])


@proxy.get("/artifacts")
def list_proxied(
    service: ServiceDep, path: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """The files and folders directly under ``path``."""
    if not path:
        return {"files": artifact_store.list_folder(service, "mlflow-artifacts")}
    location = artifact_store.locate(path)
    return {"files": artifact_store.list_folder(service, location.key)}


@proxy.get("/artifacts/{path:path}", response_class=StreamingResponse)
def download(service: ServiceDep, path: str) -> StreamingResponse:
    location = artifact_store.locate(path)
    # The check comes before streaming starts: once it has, the status is sent.
    if not artifact_store.exists(service, location.key):
        raise not_found(f"Artifact '{path}' does not exist; list its folder first")
    media_type, _ = mimetypes.guess_type(path)
    return StreamingResponse(
        artifact_store.open_chunks(service, location.key),
        media_type=media_type or "application/octet-stream",
    )


@proxy.put("/artifacts/{path:path}")
async def upload(service: ServiceDep, path: str, request: Request) -> JSONResponse:
    """Store the request body at ``path``."""
    location = artifact_store.locate(path)
    if location.run_id is not None:
        lookup.require_run(service, location.run_id)
    # TODO: stream large bodies to the blob store instead of holding them whole.
    data = await request.body()
    applied = await run_in_threadpool(artifact_store.store, service, location, data)
    return answer({}, applied)


@proxy.delete("/artifacts/{path:path}")
def delete(path: str) -> JSONResponse:
    # TODO: deleting needs BlobStore.delete and an event that unindexes the file.
    raise MlflowError(
        NOT_IMPLEMENTED,
        f"deleting artifacts ({path!r}) is not supported by runstream yet; "
        "artifacts are kept",
    )


@router.get("/artifacts/list")
def list_run_artifacts(
    service: ServiceDep, query: Annotated[wire.ListArtifacts, Query()]
) -> dict[str, Any]:
    """A run's files and folders directly under ``path``, with paths relative to
    the run's artifact root."""
    run = lookup.require_run(service, query.id)
    info = lookup.run_infos(service.store, [run])[0]
    root_uri = info["artifact_uri"]
    if not root_uri.startswith(render.PROXY_SCHEME):
        # TODO: list runs whose experiment keeps artifacts outside runstream.
        return {"root_uri": root_uri, "files": []}

    folder = (query.path or "").strip("/")
    key = artifact_key(query.id, folder) if folder else f"{query.id}/artifacts"
    files = artifact_store.list_folder(service, key)
    for file in files:
        file["path"] = f"{folder}/{file['path']}" if folder else file["path"]
    return {"root_uri": root_uri, "files": files}
