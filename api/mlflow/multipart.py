"""Multipart uploads through the artifact proxy (``mlflow-artifacts/mpu/...``).

The client asks for an upload (``create``), PUTs each part to the URL it was given,
then ``complete``s or ``abort``s it. S3 would hand out presigned part URLs; here
the parts come back to this API, which keeps them in a folder under
``RUNSTREAM_HOME`` until the upload completes, then stores the whole file like
any other proxied artifact. The client uses this only with
``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true`` and for files above
``MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE``.
"""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from runstream.api.deps import ServiceDep
from runstream.api.mlflow import artifact_store, lookup
from runstream.api.mlflow.errors import MlflowRoute, invalid, not_found
from runstream.api.mlflow.wire import Message
from runstream.api.mlflow.writes import answer
from runstream.consumers.service import ProjectionService

logger = logging.getLogger(__name__)

router = APIRouter(route_class=MlflowRoute, tags=["mlflow artifact proxy"])

MAX_PARTS = 10_000
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
# Where the part URLs point, below the proxy's own prefix.
PART_ROUTE = "/mpu/part"


class CreateUpload(Message):
    path: str
    num_parts: int = 1


class UploadPart(Message):
    part_number: int
    etag: str = ""


class CompleteUpload(Message):
    path: str
    upload_id: str
    parts: list[UploadPart] = []


class AbortUpload(Message):
    path: str
    upload_id: str


@router.post("/mpu/create/{artifact_path:path}")
def create(
    service: ServiceDep, artifact_path: str, body: CreateUpload, request: Request
) -> dict[str, Any]:
    location = _target(artifact_path, body.path)
    if location.run_id is not None:
        lookup.require_run(service, location.run_id)
    if not 1 <= body.num_parts <= MAX_PARTS:
        raise invalid(f"num_parts must be between 1 and {MAX_PARTS}")

    upload_id = uuid.uuid4().hex
    _folder(service, upload_id).mkdir(parents=True)
    # The URL the request came in on, minus this route: the proxy's own prefix.
    base = str(request.url).split("/mpu/create/", 1)[0]
    credentials = [
        {"url": f"{base}{PART_ROUTE}/{upload_id}/{n}", "part_number": n, "headers": {}}
        for n in range(1, body.num_parts + 1)
    ]
    logger.info("multipart upload created upload_id=%s key=%s", upload_id, location.key)
    return {"upload_id": upload_id, "credentials": credentials}


@router.put(PART_ROUTE + "/{upload_id}/{part_number}")
async def upload_part(
    service: ServiceDep, upload_id: str, part_number: int, request: Request
) -> Response:
    folder = _existing_folder(service, upload_id)
    if not 1 <= part_number <= MAX_PARTS:
        raise invalid(f"part_number must be between 1 and {MAX_PARTS}")
    data = await request.body()
    await run_in_threadpool((folder / f"{part_number:05d}").write_bytes, data)
    return Response(headers={"ETag": f'"{upload_id}-{part_number}"'})


@router.post("/mpu/complete/{artifact_path:path}")
def complete(
    service: ServiceDep, artifact_path: str, body: CompleteUpload
) -> JSONResponse:
    location = _target(artifact_path, body.path)
    folder = _existing_folder(service, body.upload_id)
    numbers = sorted(part.part_number for part in body.parts)
    missing = [n for n in numbers if not (folder / f"{n:05d}").is_file()]
    if missing:
        raise invalid(f"upload {body.upload_id} lacks parts {missing[:10]}")

    # TODO: assemble large files in the blob store rather than in memory.
    data = b"".join((folder / f"{n:05d}").read_bytes() for n in numbers)
    applied = artifact_store.store(service, location, data)
    shutil.rmtree(folder, ignore_errors=True)
    logger.info(
        "multipart upload completed upload_id=%s size=%d", body.upload_id, len(data)
    )
    return answer({}, applied)


@router.post("/mpu/abort/{artifact_path:path}")
def abort(service: ServiceDep, artifact_path: str, body: AbortUpload) -> JSONResponse:
    shutil.rmtree(_existing_folder(service, body.upload_id), ignore_errors=True)
    logger.info("multipart upload aborted upload_id=%s", body.upload_id)
    return answer({})


def _target(artifact_path: str, local_path: str) -> artifact_store.Location:
    """The file a multipart upload writes: the local file's name in the folder."""
    name = artifact_store.file_name(local_path.replace("\\", "/"))
    if not name:
        raise invalid(f"path {local_path!r} names no file")
    folder = artifact_path.strip("/")
    return artifact_store.locate(f"{folder}/{name}" if folder else name)


# TODO: parts wait on this process's disk; several API processes need shared parts.
def _folder(service: ProjectionService, upload_id: str) -> Path:
    return service.settings.home / "mlflow-uploads" / upload_id


def _existing_folder(service: ProjectionService, upload_id: str) -> Path:
    folder = _folder(service, upload_id) if _UPLOAD_ID.match(upload_id) else None
    if folder is None or not folder.is_dir():
        raise not_found(f"No multipart upload with id {upload_id!r}")
    return folder
