"""Where the artifact proxy keeps files in runstream's blob store.

The client addresses files by proxy paths relative to ``mlflow-artifacts:/``. A
run's files, ``<experiment_id>/<run_id>/artifacts/<path>``, go where runstream
keeps run artifacts (``<run_id>/artifacts/<path>``), so the query API and the
dashboard see them too, and every one is announced with an ``ArtifactLogged``
event. Any other path (a logged model's files, say) is kept under
``mlflow-artifacts/<path>``.

Files are written unprefixed, as the SDK writes its large files, so every
projection state sees them; reads go through the live state's view, which also
finds the files the projector wrote from events.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from posixpath import basename

from runstream import validation as v
from runstream.api.mlflow import writes
from runstream.blobs import artifact_key, check_key
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import PrefixedBlobStore, live_blobs
from runstream.errors import InvalidInputError
from runstream.tracking import INLINE_ARTIFACT_LIMIT

logger = logging.getLogger(__name__)

OTHER_FILES_PREFIX = "mlflow-artifacts"
_RUN_FILES = re.compile(
    r"^(?P<experiment_id>[^/]+)/(?P<run_id>[0-9a-f]{32})/artifacts(?:/(?P<path>.*))?$"
)


@dataclass(frozen=True)
class Location:
    """A proxy path resolved: its blob key, and the run and path within the run's
    artifacts when it names a run's file."""

    key: str
    run_id: str | None = None
    run_path: str = ""


def locate(proxy_path: str) -> Location:
    """Where a proxy path lives; refuses paths that could leave the store."""
    try:
        path = check_key(proxy_path.strip("/"))
    except InvalidInputError as e:
        raise InvalidInputError(
            f"artifact path {proxy_path!r} is refused: give a relative path without "
            "'..' parts or backslashes"
        ) from e
    match = _RUN_FILES.match(path)
    if match is None:
        return Location(f"{OTHER_FILES_PREFIX}/{path}")
    run_id, run_path = match["run_id"], match["path"] or ""
    key = artifact_key(run_id, run_path) if run_path else f"{run_id}/artifacts"
    return Location(key, run_id, run_path)


def readable(service: ProjectionService) -> PrefixedBlobStore:
    return live_blobs(service.store, service.blobs)


def list_folder(service: ProjectionService, key: str) -> list[dict[str, object]]:
    """The files and folders directly in the folder ``key``, in MLflow's FileInfo
    shape with names relative to the folder; empty for a file or nothing."""
    prefix = f"{key}/"
    children: dict[str, dict[str, object]] = {}
    for blob_key, size in readable(service).list(prefix):
        if not blob_key.startswith(prefix):
            continue
        name, slash, _ = blob_key[len(prefix) :].partition("/")
        if slash:
            children[name] = {"path": name, "is_dir": True}
        elif name not in children:
            children[name] = {"path": name, "is_dir": False, "file_size": size}
    return [children[name] for name in sorted(children)]


def exists(service: ProjectionService, key: str) -> bool:
    return readable(service).exists(key)


def open_chunks(service: ProjectionService, key: str) -> Iterator[bytes]:
    return readable(service).open_chunks(key)


def store(service: ProjectionService, location: Location, data: bytes) -> bool:
    """Keep ``data`` at ``location``; a run's file is also announced on the log.
    True once a read will see it (see ``writes.write``)."""
    service.blobs.put(location.key, data)
    if location.run_id is None:
        # TODO: files outside a run (logged models') have no event, only a blob.
        return True
    if not location.run_path:
        raise InvalidInputError("a run's artifact needs a file name after artifacts/")
    try:
        v.check_key("artifact", location.run_path, location.run_id)
    except InvalidInputError as e:
        # MLflow takes any file name; runstream's index takes fewer characters.
        # TODO: index files whose names break runstream's key rule.
        logger.warning("artifact kept but not indexed: %s", e)
        return True

    # Small files travel inside the event too, so the log alone can rebuild them.
    inline = len(data) <= INLINE_ARTIFACT_LIMIT
    logged = {
        "run_id": location.run_id,
        "path": location.run_path,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content": data if inline else None,
    }
    logger.debug(
        "artifact stored run_id=%s path=%s size=%d",
        location.run_id,
        location.run_path,
        len(data),
    )
    return writes.write(service, [("ArtifactLogged", logged)])


def file_name(path: str) -> str:
    return basename(path.rstrip("/"))
