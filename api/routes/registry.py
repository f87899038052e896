"""The Model Registry, read from its documents in the blob store.

Registered models, their versions and aliases, and the history of every stage and
alias change (what, from, to, when, by whom). ``/registry/documents`` serves the
projection's documents as stored, tombstones and positions included: what the SDK
reads to wait for its own writes.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from runstream.api.deps import StateDep
from runstream.consumers.registry import registry_blobs
from runstream.consumers.states import State
from runstream.registry.documents import BlobReader
from runstream.registry.entities import HistoryEntry, ModelVersion
from runstream.registry.views import HISTORY_KINDS, RegistryView

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/registry", tags=["registry"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such registered model, version or alias"}
}


def _reader(state: State) -> BlobReader:
    return BlobReader(registry_blobs(state.blobs()))


def _view(state: State) -> RegistryView:
    return RegistryView(_reader(state))


def version_json(version: ModelVersion) -> dict[str, Any]:
    return asdict(version)


def history_json(entry: HistoryEntry) -> dict[str, Any]:
    out = asdict(entry)
    out["from"] = out.pop("from_")
    return out


@router.get("/models")
def search_models(
    state: StateDep,
    filter: Annotated[
        str | None,
        Query(description="e.g. name LIKE 'diab%' AND tags.team = 'vision'"),
    ] = None,
    max_results: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    """Registered models matching the filter, by name."""
    models = _view(state).search_registered_models(filter, max_results)
    return {"registered_models": [asdict(m) for m in models]}


@router.get("/models/{name}", responses=NOT_FOUND)
def get_model(state: StateDep, name: str) -> dict[str, Any]:
    """One registered model with all its versions, oldest first."""
    view = _view(state)
    model = view.get_registered_model(name)
    versions = view.get_model_versions(name)
    return {**asdict(model), "versions": [version_json(v) for v in versions]}


@router.get("/models/{name}/versions/{version}", responses=NOT_FOUND)
def get_version(state: StateDep, name: str, version: str) -> dict[str, Any]:
    return version_json(_view(state).get_model_version(name, version))


@router.get("/models/{name}/aliases/{alias}", responses=NOT_FOUND)
def resolve_alias(state: StateDep, name: str, alias: str) -> dict[str, Any]:
    """The version an alias points at."""
    return version_json(_view(state).get_model_version_by_alias(name, alias))


@router.get("/models/{name}/history", responses=NOT_FOUND)
def get_history(
    state: StateDep,
    name: str,
    kind: Annotated[
        list[str] | None,
        Query(
            description="stage, alias, or lifecycle kinds such as version_created; "
            "all to get every change (default: stage and alias)"
        ),
    ] = None,
) -> dict[str, Any]:
    """Every stage and alias change of the model, oldest first, with who made it
    and when; MLflow's registry keeps only the current state."""
    kinds = tuple(kind) if kind else HISTORY_KINDS
    entries = _view(state).get_model_history(name, () if "all" in kinds else kinds)
    return {"name": name, "history": [history_json(e) for e in entries]}


@router.get("/versions")
def search_versions(
    state: StateDep,
    filter: Annotated[
        str | None, Query(description="e.g. name = 'diabetes' AND run_id = '…'")
    ] = None,
    max_results: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> dict[str, Any]:
    """Model versions matching the filter, newest first."""
    versions = _view(state).search_model_versions(filter, max_results)
    return {"model_versions": [version_json(v) for v in versions]}


@router.get("/documents")
def list_documents(state: StateDep) -> dict[str, Any]:
    """Every registered-model document as the projection stored it."""
    return {"documents": _reader(state).documents()}


@router.get("/documents/{name}", responses=NOT_FOUND)
def get_document(state: StateDep, name: str) -> dict[str, Any]:
    """One document as stored, whatever its status: ``positions`` says which
    events it holds, ``rejected`` which it refused and why."""
    doc = _reader(state).document(name)
    if doc is None:
        raise HTTPException(
            status_code=404,
            detail=f"no registry document for {name!r}; the name never held a "
            "registered model (or its creation is not projected yet)",
        )
    return doc
