"""Where a projection state's registry documents live: under its own prefix only.

A replayed state reads its blobs through ``PrefixedBlobStore``, which falls back to
the unprefixed key so the large artifact files the SDK wrote once are shared by
every state. Registry documents must not fall back: a document found there belongs
to another state, so a replay would start from it and skip every event as applied
already, and a state replayed to an earlier moment would show later models.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from runstream.blobs import BlobStore
from runstream.consumers.states import PrefixedBlobStore


def registry_blobs(blobs: BlobStore) -> BlobStore:
    """``blobs`` without the fallback, when it is a prefixed state's store."""
    if isinstance(blobs, PrefixedBlobStore) and blobs.prefix:
        return _OwnPrefix(blobs.base, blobs.prefix)
    return blobs


class _OwnPrefix:
    """A blob store seen through a prefix, and nothing outside it."""

    def __init__(self, base: BlobStore, prefix: str) -> None:
        self.base = base
        self.prefix = prefix

    def put(self, key: str, data: bytes) -> None:
        self.base.put(self.prefix + key, data)

    def put_file(self, key: str, source: Path) -> None:
        self.base.put_file(self.prefix + key, source)

    def ping(self) -> bool:
        return self.base.ping()

    def exists(self, key: str) -> bool:
        return self.base.exists(self.prefix + key)

    def open_chunks(self, key: str) -> Iterator[bytes]:
        return self.base.open_chunks(self.prefix + key)

    def list(self, prefix: str) -> list[tuple[str, int]]:
        cut = len(self.prefix)
        return [(k[cut:], n) for k, n in self.base.list(self.prefix + prefix)]
