"""Reading registered-model documents: from the blob store, or through the API.

The registry projection writes one JSON document per model (see
``runstream.consumers.registry``). Inside ``runstream server`` they are read from
the blob store directly; training code and ``runstream models serve`` read them
through the query API, since in the embedded mode only the server knows where the
live projections are.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol
from urllib.parse import quote

from runstream.blobs import BlobStore, artifact_key
from runstream.errors import NotFoundError, StoreError
from runstream.reads import QueryApi
from runstream.registry.names import DOCUMENT_PREFIX, document_key, name_of_key

logger = logging.getLogger(__name__)

Document = dict[str, Any]


class RegistryReader(Protocol):
    """Where the registry client reads what the projection made."""

    def document(self, name: str) -> Document | None:
        """The document stored under ``name``, whatever its status; None if the
        name never held a model."""
        ...

    def documents(self) -> list[Document]:
        """Every document, tombstones included."""
        ...

    def has_model_files(self, run_id: str, artifact_path: str) -> bool:
        """Whether the run's artifacts hold a model folder at ``artifact_path``."""
        ...


def read_document(blobs: BlobStore, name: str) -> Document | None:
    key = document_key(name)
    if not blobs.exists(key):
        return None
    data = b"".join(blobs.open_chunks(key))
    try:
        doc: Document = json.loads(data)
    except ValueError as e:
        raise StoreError(
            f"the registry document {key} is not JSON ({e}); rebuild the "
            "projection with `runstream replay`"
        ) from e
    return doc


class BlobReader:
    """Documents straight from a blob store (inside the server, and in tests)."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def document(self, name: str) -> Document | None:
        return read_document(self.blobs, name)

    def documents(self) -> list[Document]:
        found = []
        for key, _size in self.blobs.list(DOCUMENT_PREFIX.rstrip("/")):
            name = name_of_key(key)
            if name is not None:
                doc = read_document(self.blobs, name)
                if doc is not None:
                    found.append(doc)
        return found

    def has_model_files(self, run_id: str, artifact_path: str) -> bool:
        path = f"{artifact_path.strip('/')}/MLmodel"
        return self.blobs.exists(artifact_key(run_id, path))


class ApiReader(QueryApi):
    """Documents through the query API (RUNSTREAM_API_URL)."""

    def document(self, name: str) -> Document | None:
        try:
            doc: Document = self._json("GET", f"/registry/documents/{_segment(name)}")
        except NotFoundError:
            return None
        return doc

    def documents(self) -> list[Document]:
        return list(self._json("GET", "/registry/documents")["documents"])

    def has_model_files(self, run_id: str, artifact_path: str) -> bool:
        path = f"{artifact_path.strip('/')}/MLmodel"
        try:
            files = self._json(
                "GET", f"/runs/{_segment(run_id)}/artifacts", params={"path": path}
            )["files"]
        except NotFoundError:
            return False
        return any(f["path"] == path for f in files)


def _segment(value: str) -> str:
    return quote(value, safe="")
