"""A run's artifacts: the index in ClickHouse, the bytes in the blob store."""

from __future__ import annotations

import logging
import mimetypes
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse

from runstream.api import queries
from runstream.api.deps import StateDep, run_not_found
from runstream.api.models import ArtifactFile, ArtifactList
from runstream.blobs import artifact_key, check_key
from runstream.errors import InvalidInputError

logger = logging.getLogger(__name__)

router = APIRouter(tags=["artifacts"])


@router.get("/runs/{run_id}/artifacts", responses={404: {"description": "unknown run"}})
def list_artifacts(
    state: StateDep,
    run_id: str,
    path: Annotated[
        str | None, Query(description="a folder: only the files under it")
    ] = None,
) -> ArtifactList:
    """The files a run logged, sorted by path."""
    folder = _checked_path(path) if path else None
    if queries.get_run(state.store, run_id) is None:
        raise run_not_found(run_id)
    rows = queries.list_artifacts(state.store, run_id, folder)
    return ArtifactList(run_id=run_id, files=[ArtifactFile(**row) for row in rows])


@router.get(
    "/runs/{run_id}/artifacts/{path:path}",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        400: {"description": "the path is absolute or has '..' parts"},
        404: {"description": "no such artifact"},
    },
)
def download_artifact(state: StateDep, run_id: str, path: str) -> StreamingResponse:
    """The bytes of one artifact, streamed in chunks."""
    path = _checked_path(path)
    try:
        key = artifact_key(run_id, path)
    except InvalidInputError as e:
        raise InvalidInputError(
            f"run id {run_id!r} cannot name a run: a run id is one path part, "
            "not '.' or '..'"
        ) from e

    # Both checks come before streaming starts: once it has, the status is sent.
    if not queries.artifact_indexed(state.store, run_id, path):
        raise HTTPException(
            status_code=404,
            detail=(
                f"run {run_id!r} has no artifact {path!r}; list its files with "
                f"GET /api/v1/runs/{run_id}/artifacts"
            ),
        )
    blobs = state.blobs()
    if not blobs.exists(key):
        logger.warning("indexed artifact missing from blob store key=%s", key)
        raise HTTPException(
            status_code=404,
            detail=(
                f"artifact {path!r} of run {run_id!r} is indexed but its file is "
                "missing from the blob store; log it again"
            ),
        )

    media_type, _ = mimetypes.guess_type(path)
    return StreamingResponse(
        blobs.open_chunks(key),
        media_type=media_type or "application/octet-stream",
    )


def _checked_path(path: str) -> str:
    try:
        return check_key(path)
    except InvalidInputError as e:
        raise InvalidInputError(
            f"artifact path {path!r} is refused: give a non-empty path relative to "
            "the run's artifacts, without '..' parts or backslashes, e.g. "
            "'model/model.pkl'"
        ) from e
