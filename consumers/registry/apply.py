"""How one registry event changes the registered-model documents.

Every document records, per partition of ``runstream.registry``, the offset of
the last event applied to it (``positions``): an event at or below it was applied
already and is skipped, so a redelivered batch changes nothing.

All events of one model share a partition (they are keyed by the name it was first
registered under), so they arrive in the order they were written. A rename moves
the document: the new name's document receives everything, history included, and
the old name's document becomes a tombstone saying where the model went.

An event that breaks a rule (a version that does not exist, a name taken
meanwhile by another writer) changes nothing but the document's ``rejected`` list,
which is how the writer learns why.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any, Protocol

from runstream.errors import InvalidInputError
from runstream.events import Event
from runstream.log import Position
from runstream.registry import names

logger = logging.getLogger(__name__)

MAX_REJECTED = 50

Document = dict[str, Any]


class Documents(Protocol):
    def get(self, name: str) -> Document | None: ...

    def put(self, doc: Document) -> None: ...


class Rejected(Exception):
    """The event breaks a registry rule; the reason goes into the document, with
    a code the writer turns back into an exception: ``not_found``,
    ``already_exists`` or ``invalid``."""

    def __init__(self, reason: str, code: str = "invalid") -> None:
        super().__init__(reason)
        self.code = code


def new_document(name: str, registered_name: str, at: int, user: str) -> Document:
    return {
        "name": name,
        "registered_name": registered_name,
        "status": "active",
        "renamed_to": None,
        "previous_names": [],
        "description": "",
        "tags": {},
        "aliases": {},
        "creation_timestamp": at,
        "last_updated_timestamp": at,
        "created_by": user,
        "next_version": 1,
        "versions": {},
        "history": [],
        "rejected": [],
        "positions": {},
    }


def apply_event(docs: Documents, position: Position, event: Event) -> None:
    """Apply one registry event to the documents it touches."""
    name = event.payload["name"]
    doc = docs.get(name)
    part = str(position.partition)
    if doc is not None and doc["positions"].get(part, -1) >= position.offset:
        return  # applied before a redelivery

    handler = _HANDLERS[event.event_type]
    try:
        handler(docs, doc, event, position)
    except Rejected as e:
        _reject(docs, doc, event, position, str(e), e.code)
    except InvalidInputError as e:
        _reject(docs, doc, event, position, str(e), "invalid")


def _reject(
    docs: Documents,
    doc: Document | None,
    event: Event,
    pos: Position,
    reason: str,
    code: str,
) -> None:
    logger.warning(
        "registry event rejected type=%s name=%s partition=%d offset=%d: %s",
        event.event_type,
        event.payload["name"],
        pos.partition,
        pos.offset,
        reason,
    )
    if doc is None:
        return  # nothing to record it in; the writer's wait times out
    entry = {
        "partition": pos.partition,
        "offset": pos.offset,
        "event_type": event.event_type,
        "reason": reason,
        "code": code,
        "at": event.occurred_at,
    }
    doc["rejected"] = [*doc["rejected"], entry][-MAX_REJECTED:]
    _applied(docs, doc, pos, touch=None)


def _applied(docs: Documents, doc: Document, pos: Position, touch: int | None) -> None:
    doc["positions"][str(pos.partition)] = pos.offset
    if touch is not None:
        doc["last_updated_timestamp"] = touch
    docs.put(doc)


def _active(doc: Document | None, name: str) -> Document:
    if doc is None or doc["status"] == "deleted":
        raise Rejected(f"registered model {name!r} does not exist", "not_found")
    if doc["status"] == "renamed":
        raise Rejected(
            f"registered model {name!r} was renamed to {doc['renamed_to']!r}; "
            "use the new name",
            "not_found",
        )
    return doc


def _version(doc: Document, number: int) -> dict[str, Any]:
    entry = doc["versions"].get(str(number))
    if entry is None:
        raise Rejected(
            f"registered model {doc['name']!r} has no version {number}", "not_found"
        )
    return entry  # type: ignore[no-any-return]


def _history(
    doc: Document, event: Event, pos: Position, kind: str, **what: Any
) -> None:
    doc["history"].append(
        {
            "kind": kind,
            **what,
            "at": event.occurred_at,
            "user": event.payload.get("user", ""),
            "partition": pos.partition,
            "offset": pos.offset,
        }
    )


# -- registered models ------------------------------------------------------------


def _created(docs: Documents, doc: Document | None, e: Event, pos: Position) -> None:
    p = e.payload
    if doc is not None and doc["status"] == "active":
        raise Rejected(
            f"registered model {p['name']!r} exists already", "already_exists"
        )
    fresh = new_document(p["name"], p["registered_name"], e.occurred_at, p["user"])
    if doc is not None:
        # A tombstone's positions carry over, or a redelivery would apply again.
        fresh["positions"] = dict(doc["positions"])
    fresh["description"] = names.check_description(p["description"])
    fresh["tags"] = dict(p["tags"])
    _history(fresh, e, pos, "model_created")
    _applied(docs, fresh, pos, e.occurred_at)


def _renamed(docs: Documents, doc: Document | None, e: Event, pos: Position) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    new_name = names.check_name(p["new_name"])
    if new_name == doc["name"]:
        raise Rejected(f"registered model {new_name!r} already has that name")
    target = docs.get(new_name)
    if target is not None and target["status"] == "active":
        raise Rejected(
            f"cannot rename to {new_name!r}: that model exists already",
            "already_exists",
        )

    moved = copy.deepcopy(doc)
    moved["name"] = new_name
    moved["previous_names"] = [*doc["previous_names"], doc["name"]]
    if target is not None:
        for part, offset in target["positions"].items():
            moved["positions"][part] = max(offset, moved["positions"].get(part, -1))
    _history(moved, e, pos, "model_renamed", **{"from": doc["name"], "to": new_name})
    _applied(docs, moved, pos, e.occurred_at)

    tombstone = {
        "name": doc["name"],
        "registered_name": doc["registered_name"],
        "status": "renamed",
        "renamed_to": new_name,
        "rejected": [],
        "positions": dict(doc["positions"]),
        "last_updated_timestamp": e.occurred_at,
    }
    _applied(docs, tombstone, pos, e.occurred_at)


def _deleted(docs: Documents, doc: Document | None, e: Event, pos: Position) -> None:
    doc = _active(doc, e.payload["name"])
    doc["status"] = "deleted"
    _history(doc, e, pos, "model_deleted")
    _applied(docs, doc, pos, e.occurred_at)


def _described(docs: Documents, doc: Document | None, e: Event, pos: Position) -> None:
    doc = _active(doc, e.payload["name"])
    doc["description"] = names.check_description(e.payload["description"])
    _applied(docs, doc, pos, e.occurred_at)


def _tag_set(docs: Documents, doc: Document | None, e: Event, pos: Position) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    _set_tag(doc["tags"], p["key"], p["value"])
    _applied(docs, doc, pos, e.occurred_at)


def _set_tag(tags: dict[str, str], key: str, value: str | None) -> None:
    if value is None:
        tags.pop(key, None)
    else:
        key, value = names.check_tag(key, value)
        tags[key] = value


# -- versions ---------------------------------------------------------------------


def _version_created(
    docs: Documents, doc: Document | None, e: Event, pos: Position
) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    number = doc["next_version"]
    doc["next_version"] = number + 1
    doc["versions"][str(number)] = {
        "version": number,
        "source": p["source"],
        "run_id": p["run_id"],
        "status": "READY",
        "current_stage": "None",
        "description": names.check_description(p["description"]),
        "tags": dict(p["tags"]),
        "creation_timestamp": e.occurred_at,
        "last_updated_timestamp": e.occurred_at,
        "user_id": p["user"],
        "created_at": {"partition": pos.partition, "offset": pos.offset},
    }
    _history(doc, e, pos, "version_created", version=number, run_id=p["run_id"])
    _applied(docs, doc, pos, e.occurred_at)


def _stage_transitioned(
    docs: Documents, doc: Document | None, e: Event, pos: Position
) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    stage = names.check_stage(p["stage"])
    version = _version(doc, p["version"])
    if p["archive_existing_versions"] and stage not in names.ACTIVE_STAGES:
        raise Rejected(
            f"archive_existing_versions needs the stage Staging or Production, "
            f"not {stage}"
        )
    _move(doc, version, stage, e, pos, cause=None)
    if p["archive_existing_versions"]:
        cause = f"archive_existing_versions: version {p['version']} moved to {stage}"
        for other in doc["versions"].values():
            if other is not version and other["current_stage"] == stage:
                _move(doc, other, "Archived", e, pos, cause=cause)
    _applied(docs, doc, pos, e.occurred_at)


def _move(
    doc: Document,
    version: dict[str, Any],
    stage: str,
    e: Event,
    pos: Position,
    cause: str | None,
) -> None:
    before = version["current_stage"]
    version["current_stage"] = stage
    version["last_updated_timestamp"] = e.occurred_at
    what = {"version": version["version"], "from": before, "to": stage}
    _history(doc, e, pos, "stage", **what, cause=cause)


def _version_described(
    docs: Documents, doc: Document | None, e: Event, pos: Position
) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    version = _version(doc, p["version"])
    version["description"] = names.check_description(p["description"])
    version["last_updated_timestamp"] = e.occurred_at
    _applied(docs, doc, pos, e.occurred_at)


def _version_tag_set(
    docs: Documents, doc: Document | None, e: Event, pos: Position
) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    version = _version(doc, p["version"])
    _set_tag(version["tags"], p["key"], p["value"])
    _applied(docs, doc, pos, e.occurred_at)


def _version_deleted(
    docs: Documents, doc: Document | None, e: Event, pos: Position
) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    number = p["version"]
    _version(doc, number)
    del doc["versions"][str(number)]
    for alias, target in sorted(doc["aliases"].items()):
        if target == number:
            del doc["aliases"][alias]
            cause = f"version {number} deleted"
            _history(doc, e, pos, "alias", alias=alias, cause=cause, **_was(number))
    _history(doc, e, pos, "version_deleted", version=number)
    _applied(docs, doc, pos, e.occurred_at)


def _was(number: int | None, now: int | None = None) -> dict[str, int | None]:
    return {"from": number, "to": now}


# -- aliases ----------------------------------------------------------------------


def _alias_set(docs: Documents, doc: Document | None, e: Event, pos: Position) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    alias = names.check_alias(p["alias"])
    _version(doc, p["version"])
    before = doc["aliases"].get(alias)
    doc["aliases"][alias] = p["version"]
    _history(
        doc, e, pos, "alias", alias=alias, cause=None, **_was(before, p["version"])
    )
    _applied(docs, doc, pos, e.occurred_at)


def _alias_deleted(
    docs: Documents, doc: Document | None, e: Event, pos: Position
) -> None:
    p = e.payload
    doc = _active(doc, p["name"])
    alias = p["alias"]
    if alias not in doc["aliases"]:
        raise Rejected(
            f"registered model {doc['name']!r} has no alias {alias!r}", "not_found"
        )
    before = doc["aliases"].pop(alias)
    _history(doc, e, pos, "alias", alias=alias, cause=None, **_was(before))
    _applied(docs, doc, pos, e.occurred_at)


Handler = Callable[[Documents, Document | None, Event, Position], None]

_HANDLERS: dict[str, Handler] = {
    "RegisteredModelCreated": _created,
    "RegisteredModelRenamed": _renamed,
    "RegisteredModelDeleted": _deleted,
    "RegisteredModelDescribed": _described,
    "RegisteredModelTagSet": _tag_set,
    "ModelVersionCreated": _version_created,
    "ModelVersionStageTransitioned": _stage_transitioned,
    "ModelVersionDescribed": _version_described,
    "ModelVersionTagSet": _version_tag_set,
    "ModelVersionDeleted": _version_deleted,
    "AliasSet": _alias_set,
    "AliasDeleted": _alias_deleted,
}
