"""Projects ``runstream.registry`` into one JSON document per registered model.

Documents live in the blob store at ``registry/<name>.json`` (see
``runstream.registry.names``). A batch reads each document it touches once, applies
its events in log order, and writes each changed document once, whole: the blob
store replaces a key atomically, so a reader never sees half a document.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from runstream.blobs import BlobStore
from runstream.consumers.registry.apply import Document, apply_event
from runstream.consumers.registry.state_blobs import registry_blobs
from runstream.errors import StoreError
from runstream.events import Event
from runstream.log import Position
from runstream.registry.documents import read_document
from runstream.registry.names import document_key

logger = logging.getLogger(__name__)


class _BatchDocuments:
    """The documents one batch touches, read once and written once."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = registry_blobs(blobs)
        self.loaded: dict[str, Document | None] = {}
        self.changed: dict[str, Document] = {}

    def get(self, name: str) -> Document | None:
        if name not in self.loaded:
            self.loaded[name] = read_document(self.blobs, name)
        return self.loaded[name]

    def put(self, doc: Document) -> None:
        self.loaded[doc["name"]] = doc
        self.changed[doc["name"]] = doc

    def write(self) -> None:
        for name, doc in self.changed.items():
            data = json.dumps(doc, sort_keys=True).encode()
            try:
                self.blobs.put(document_key(name), data)
            except OSError as e:
                raise StoreError(
                    f"cannot write the registry document of {name!r}: {e}; check "
                    "that the blob store is writable"
                ) from e


class RegistryProjector:
    """Applies registry events to the documents in ``blobs``."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = registry_blobs(blobs)

    def apply(self, batch: Sequence[tuple[Position, Event]]) -> None:
        docs = _BatchDocuments(self.blobs)
        for position, event in batch:
            apply_event(docs, position, event)
        docs.write()
        logger.debug(
            "registry batch applied events=%d documents=%d",
            len(batch),
            len(docs.changed),
        )
