"""The blob store port: artifact files and registry documents by key.

Keys are relative paths such as ``<run_id>/artifacts/model/model.pkl``. A key never
escapes the store's root: ``..`` parts and absolute paths are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Protocol

from runstream.errors import InvalidInputError

CHUNK_SIZE = 1 << 20


def check_key(key: str) -> str:
    """Return ``key`` normalised, or raise if it could escape the store's root.
    A NUL byte is refused too: file systems cannot hold it, S3 keys should not."""
    path = PurePosixPath(key)
    if (
        not key
        or path.is_absolute()
        or ".." in path.parts
        or "\\" in key
        or "\0" in key
    ):
        raise InvalidInputError(
            f"blob key {key!r} must be a relative path without '..' parts, "
            "backslashes or NUL bytes"
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

    def ping(self) -> bool:
        """Whether the store can be reached now; cheap enough for a health check."""
        ...


def artifact_key(run_id: str, path: str) -> str:
    """Where a run's artifact lives in the blob store."""
    return f"{check_key(run_id)}/artifacts/{check_key(path)}"
