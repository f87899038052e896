"""The blob store: artifact files and registry documents, by key.

A local folder in the embedded default (``file:///path``), MinIO or any S3 in the
scaled mode (``s3://bucket/prefix``).
"""

from __future__ import annotations

from pathlib import Path

from runstream.blobs.base import CHUNK_SIZE, BlobStore, artifact_key, check_key
from runstream.blobs.local import LocalBlobStore
from runstream.errors import InvalidInputError


def open_blob_store(location: str) -> BlobStore:
    """Open the blob store a location names: ``file:///path`` or
    ``s3://bucket/prefix`` (the endpoint and keys come from RUNSTREAM_S3_*)."""
    if location.startswith("file://"):
        return LocalBlobStore(Path(location.removeprefix("file://")))
    if location.startswith("s3://"):
        from runstream.blobs.s3 import S3BlobStore

        return S3BlobStore.open(location)
    raise InvalidInputError(
        f"RUNSTREAM_ARTIFACTS={location!r} names no blob store; use file:///path "
        "or s3://bucket/prefix, or leave it unset"
    )


__all__ = [
    "CHUNK_SIZE",
    "BlobStore",
    "LocalBlobStore",
    "artifact_key",
    "check_key",
    "open_blob_store",
]
