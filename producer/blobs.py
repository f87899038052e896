"""The blob store port: artifact files and registry documents by key.

Keys are relative paths such as ``<run_id>/artifacts/model/model.pkl``. A key never
escapes the store's root: ``..`` parts and absolute paths are refused.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Protocol

from runstream.errors import InvalidInputError, StoreError

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20


def check_key(key: str) -> str:
    """Return ``key`` normalised, or raise if it could escape the store's root."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise InvalidInputError(
            f"blob key {key!r} must be a relative path without '..' parts"
        )
    return str(path)


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, source: Path) -> None: ...

    def exists(self, key: str) -> bool: ...

    def open_chunks(self, key: str) -> Iterator[bytes]:
        """Stream the blob in chunks; raise StoreError if it is missing."""
        ...

    def list(self, prefix: str) -> list[tuple[str, int]]:
        """(key, size) of every blob under ``prefix``, sorted by key."""
        ...


class LocalBlobStore:
    """Blobs as files under one folder (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a reader never sees half a file.
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, target)

    def put_file(self, key: str, source: Path) -> None:
        self.put(key, source.read_bytes())

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def open_chunks(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise StoreError(f"blob {key!r} does not exist under {self.root}")
        with path.open("rb") as source:
            while chunk := source.read(CHUNK_SIZE):
                yield chunk

    def list(self, prefix: str) -> list[tuple[str, int]]:
        base = self._path(prefix) if prefix else self.root
        if not base.is_dir():
            return []
        found = []
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(".incoming-"):
                key = path.relative_to(self.root).as_posix()
                found.append((key, path.stat().st_size))
        return sorted(found)


def open_blob_store(location: str) -> BlobStore:
    """Open the blob store a location names: ``file:///path`` for now."""
    if location.startswith("file://"):
        return LocalBlobStore(Path(location.removeprefix("file://")))
    # TODO: MinIO / S3 (s3://bucket/prefix) arrives with the scaled-mode issue.
    raise InvalidInputError(
        f"RUNSTREAM_ARTIFACTS={location!r} is not supported by this build; use "
        "file:///path or leave it unset"
    )


def artifact_key(run_id: str, path: str) -> str:
    """Where a run's artifact lives in the blob store."""
    return f"{check_key(run_id)}/artifacts/{check_key(path)}"
