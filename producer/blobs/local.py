"""Blobs as files under one folder: the embedded default (``file:///path``)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from runstream.blobs.base import CHUNK_SIZE, check_key
from runstream.errors import InvalidInputError, StoreError

logger = logging.getLogger(__name__)


class LocalBlobStore:
    """Blobs as files under one folder (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        # The root itself may be a link (a mounted volume); what lies below may not
        # lead out of it.
        self._real_root = root.resolve()

    def _path(self, key: str) -> Path:
        path = self.root / check_key(key)
        if not self._inside(path):
            raise InvalidInputError(
                f"blob key {key!r} leads out of the blob store {self.root} through a "
                "symbolic link; runstream does not follow links out of its store"
            )
        return path

    def _inside(self, path: Path) -> bool:
        real = path.resolve()
        return real == self._real_root or self._real_root in real.parents

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

    def ping(self) -> bool:
        return self.root.is_dir() and os.access(self.root, os.W_OK)

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
            if path.is_symlink() and not self._inside(path):
                logger.warning("skipped link out of the blob store path=%s", path)
                continue
            if path.is_file() and not path.name.startswith(".incoming-"):
                key = path.relative_to(self.root).as_posix()
                found.append((key, path.stat().st_size))
        return sorted(found)
