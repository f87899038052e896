"""``RegistryClient``: the Model Registry's operations, as events on the log.

Each change is checked against the current documents first (so a mistake fails at
once, with a message), appended as one event, and then read back: the call waits
until the registry projection has applied the event's position and returns what
it made. If the projection refused the event meanwhile (another writer got there
first), the call raises with the projection's reason.
"""

from __future__ import annotations

import getpass
import logging
import time
from collections.abc import Mapping
from typing import Any

from runstream.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    ProjectionTimeoutError,
)
from runstream.log import Position
from runstream.registry import names
from runstream.registry.documents import Document, RegistryReader
from runstream.registry.entities import (
    ModelVersion,
    RegisteredModel,
    is_active,
    model_from,
    version_from,
)
from runstream.registry.views import RegistryView
from runstream.registry.writer import RegistryWriter

logger = logging.getLogger(__name__)

POLL_S = (0.02, 0.05, 0.1, 0.2)


class RegistryClient(RegistryView):
    """Registered models, versions, stages, aliases, and their history: the reads
    of ``RegistryView`` and every write."""

    def __init__(
        self,
        writer: RegistryWriter,
        reader: RegistryReader,
        wait_s: float = 10.0,
        user: str | None = None,
    ) -> None:
        super().__init__(reader)
        self.writer = writer
        self.wait_s = wait_s
        self.user = user if user is not None else getpass.getuser()

    # -- registered models ---------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        names.check_name(name)
        if is_active(self.reader.document(name)):
            raise AlreadyExistsError(
                f"registered model {name!r} exists already; add a version to it "
                "with create_model_version, or choose another name"
            )
        payload = {
            "registered_name": name,
            "name": name,
            "user": self.user,
            "description": names.check_description(description) or None,
            "tags": dict(names.check_tag(k, v) for k, v in (tags or {}).items()),
        }
        doc = self._write("RegisteredModelCreated", name, payload)
        return model_from(doc)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        doc = self._doc(name)
        names.check_name(new_name, "new registered model name")
        if is_active(self.reader.document(new_name)):
            raise AlreadyExistsError(
                f"cannot rename {name!r} to {new_name!r}: a model by that name "
                "exists already; delete or rename it first"
            )
        self._write("RegisteredModelRenamed", name, self._base(doc), new_name=new_name)
        return self.get_registered_model(new_name)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        doc = self._doc(name)
        text = names.check_description(description)
        doc = self._write(
            "RegisteredModelDescribed", name, self._base(doc), description=text
        )
        return model_from(doc)

    def delete_registered_model(self, name: str) -> None:
        """Delete the model and its versions; its history stays in the log."""
        doc = self._doc(name)
        self._write("RegisteredModelDeleted", name, self._base(doc))

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        doc = self._doc(name)
        key, text = names.check_tag(key, value)
        self._write("RegisteredModelTagSet", name, self._base(doc), key=key, value=text)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        doc = self._doc(name)
        if key not in doc["tags"]:
            raise NotFoundError(f"registered model {name!r} has no tag {key!r}")
        self._write("RegisteredModelTagSet", name, self._base(doc), key=key, value=None)

    # -- versions ------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> ModelVersion:
        """A new version of ``name`` from ``source`` (e.g. ``runs:/<id>/model``),
        with ``run_id`` as its lineage; the projection numbers it."""
        doc = self._doc(name)
        if not source:
            raise InvalidInputError(
                "a model version needs a source, such as runs:/<run_id>/model"
            )
        payload = {
            **self._base(doc),
            "source": source,
            "run_id": run_id,
            "description": names.check_description(description) or None,
            "tags": dict(names.check_tag(k, v) for k, v in (tags or {}).items()),
        }
        position = self._append("ModelVersionCreated", payload)
        doc = self._wait(name, position, "ModelVersionCreated")
        for raw in doc["versions"].values():
            made = raw.get("created_at", {})
            if (made.get("partition"), made.get("offset")) == (
                position.partition,
                position.offset,
            ):
                return version_from(doc, raw)
        raise NotFoundError(
            f"version created at {position} of {name!r} was deleted before it "
            "could be read back"
        )

    def update_model_version(
        self, name: str, version: int | str, description: str
    ) -> ModelVersion:
        doc = self._doc(name)
        number = int(self._raw_version(doc, version)["version"])
        text = names.check_description(description)
        doc = self._write(
            "ModelVersionDescribed",
            name,
            self._base(doc),
            version=number,
            description=text,
        )
        return version_from(doc, self._raw_version(doc, number))

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version; aliases pointing at it are removed with it."""
        doc = self._doc(name)
        number = int(self._raw_version(doc, version)["version"])
        self._write("ModelVersionDeleted", name, self._base(doc), version=number)

    def set_model_version_tag(
        self, name: str, version: int | str, key: str, value: Any
    ) -> None:
        doc = self._doc(name)
        number = int(self._raw_version(doc, version)["version"])
        key, text = names.check_tag(key, value)
        self._write(
            "ModelVersionTagSet",
            name,
            self._base(doc),
            version=number,
            key=key,
            value=text,
        )

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        doc = self._doc(name)
        raw = self._raw_version(doc, version)
        if key not in raw["tags"]:
            raise NotFoundError(
                f"version {raw['version']} of {name!r} has no tag {key!r}"
            )
        self._write(
            "ModelVersionTagSet",
            name,
            self._base(doc),
            version=int(raw["version"]),
            key=key,
            value=None,
        )

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to a stage (None, Staging, Production, Archived); with
        ``archive_existing_versions`` the versions already in that stage move to
        Archived. Every move is kept in the model's history."""
        doc = self._doc(name)
        number = int(self._raw_version(doc, version)["version"])
        canonical = names.check_stage(stage)
        if archive_existing_versions and canonical not in names.ACTIVE_STAGES:
            raise InvalidInputError(
                f"archive_existing_versions needs the stage Staging or Production, "
                f"not {canonical}; leave it False for this stage"
            )
        doc = self._write(
            "ModelVersionStageTransitioned",
            name,
            self._base(doc),
            version=number,
            stage=canonical,
            archive_existing_versions=archive_existing_versions,
        )
        return version_from(doc, self._raw_version(doc, number))

    # -- aliases -------------------------------------------------------------------

    def set_registered_model_alias(
        self, name: str, alias: str, version: int | str
    ) -> None:
        doc = self._doc(name)
        number = int(self._raw_version(doc, version)["version"])
        self._write(
            "AliasSet",
            name,
            self._base(doc),
            alias=names.check_alias(alias),
            version=number,
        )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        doc = self._doc(name)
        if alias not in doc["aliases"]:
            raise NotFoundError(
                f"registered model {name!r} has no alias {alias!r}; it has "
                f"{sorted(doc['aliases']) or 'none'}"
            )
        self._write("AliasDeleted", name, self._base(doc), alias=alias)

    # -- internals -----------------------------------------------------------------

    def _base(self, doc: Document) -> dict[str, Any]:
        return {
            "registered_name": doc["registered_name"],
            "name": doc["name"],
            "user": self.user,
        }

    def _write(
        self, event_type: str, name: str, payload: dict[str, Any], **fields: Any
    ) -> Document:
        position = self._append(event_type, {**payload, **fields})
        return self._wait(name, position, event_type)

    def _append(self, event_type: str, payload: dict[str, Any]) -> Position:
        [position] = self.writer.append([(event_type, payload)])
        logger.info(
            "registry event appended type=%s name=%s partition=%d offset=%d",
            event_type,
            payload["name"],
            position.partition,
            position.offset,
        )
        return position

    def _wait(self, name: str, position: Position, event_type: str) -> Document:
        """The document under ``name`` once it holds ``position``; raises what the
        projection said if it refused the event."""
        deadline = time.monotonic() + self.wait_s
        part = str(position.partition)
        attempt = 0
        while True:
            doc = self.reader.document(name)
            if doc is not None and doc["positions"].get(part, -1) >= position.offset:
                _raise_if_rejected(doc, position)
                return doc
            if time.monotonic() >= deadline:
                raise ProjectionTimeoutError(
                    f"{event_type} for {name!r} is on the log (partition "
                    f"{position.partition}, offset {position.offset}) but the "
                    f"registry projection did not apply it within {self.wait_s}s; "
                    "check that `runstream server` is running, then read the model "
                    "again (RUNSTREAM_REGISTRY_WAIT_S sets the wait)"
                )
            time.sleep(POLL_S[min(attempt, len(POLL_S) - 1)])
            attempt += 1


def _raise_if_rejected(doc: Document, position: Position) -> None:
    for entry in doc.get("rejected", []):
        if (entry["partition"], entry["offset"]) == (
            position.partition,
            position.offset,
        ):
            reason = entry["reason"]
            if entry.get("code") == "not_found":
                raise NotFoundError(reason)
            if entry.get("code") == "already_exists":
                raise AlreadyExistsError(reason)
            raise InvalidInputError(reason)
