"""What the registry returns: registered models, versions and history entries.

They are read-only views of a registered-model document, with MLflow's field
names so code written against MLflow's client reads the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runstream.errors import NotFoundError

Document = dict[str, Any]


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: int
    source: str
    run_id: str | None
    current_stage: str
    status: str
    description: str
    creation_timestamp: int
    last_updated_timestamp: int
    user_id: str
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryEntry:
    """One change: ``kind`` is ``stage`` or ``alias`` (or a lifecycle change such
    as ``version_created``); ``from_`` and ``to`` are stages, or versions for an
    alias; ``cause`` says why a change nobody asked for directly happened."""

    kind: str
    at: int
    user: str
    version: int | None = None
    alias: str | None = None
    from_: Any = None
    to: Any = None
    cause: str | None = None
    offset: int = 0


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    description: str
    creation_timestamp: int
    last_updated_timestamp: int
    tags: dict[str, str]
    aliases: dict[str, int]
    latest_versions: list[ModelVersion]
    previous_names: list[str] = field(default_factory=list)


def is_active(doc: Document | None) -> bool:
    return doc is not None and doc.get("status") == "active"


def require_active(doc: Document | None, name: str) -> Document:
    """``doc`` if it holds a live model, else NotFoundError saying what became
    of it."""
    if doc is not None and doc.get("status") == "renamed":
        raise NotFoundError(
            f"registered model {name!r} was renamed to {doc['renamed_to']!r}; use "
            "the new name"
        )
    if not is_active(doc):
        raise NotFoundError(
            f"registered model {name!r} does not exist; create it with "
            "create_registered_model or register_model"
        )
    assert doc is not None
    return doc


def version_from(doc: Document, raw: dict[str, Any]) -> ModelVersion:
    number = int(raw["version"])
    aliases = sorted(a for a, v in doc["aliases"].items() if v == number)
    return ModelVersion(
        name=doc["name"],
        version=number,
        source=raw["source"],
        run_id=raw["run_id"],
        current_stage=raw["current_stage"],
        status=raw["status"],
        description=raw["description"],
        creation_timestamp=raw["creation_timestamp"],
        last_updated_timestamp=raw["last_updated_timestamp"],
        user_id=raw["user_id"],
        tags=dict(raw["tags"]),
        aliases=aliases,
    )


def versions_of(doc: Document) -> list[ModelVersion]:
    """Every version, oldest first."""
    raws = sorted(doc["versions"].values(), key=lambda v: int(v["version"]))
    return [version_from(doc, raw) for raw in raws]


def latest_per_stage(doc: Document) -> list[ModelVersion]:
    """The newest version in each stage, as MLflow's ``latest_versions``."""
    latest: dict[str, ModelVersion] = {}
    for version in versions_of(doc):
        latest[version.current_stage] = version
    return sorted(latest.values(), key=lambda v: v.version)


def model_from(doc: Document) -> RegisteredModel:
    return RegisteredModel(
        name=doc["name"],
        description=doc["description"],
        creation_timestamp=doc["creation_timestamp"],
        last_updated_timestamp=doc["last_updated_timestamp"],
        tags=dict(doc["tags"]),
        aliases=dict(doc["aliases"]),
        latest_versions=latest_per_stage(doc),
        previous_names=list(doc["previous_names"]),
    )


def history_from(doc: Document, kinds: tuple[str, ...] = ()) -> list[HistoryEntry]:
    """The model's changes, oldest first; only ``kinds`` if given."""
    entries = []
    for raw in doc["history"]:
        if kinds and raw["kind"] not in kinds:
            continue
        entries.append(
            HistoryEntry(
                kind=raw["kind"],
                at=raw["at"],
                user=raw["user"],
                version=raw.get("version"),
                alias=raw.get("alias"),
                from_=raw.get("from"),
                to=raw.get("to"),
                cause=raw.get("cause"),
                offset=raw["offset"],
            )
        )
    return entries
