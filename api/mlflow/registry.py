"""MLflow's Model Registry endpoints for registered models and their aliases:
``registered-models/create``, ``get``, ``rename``, ``update``, ``delete``,
``search``, ``get-latest-versions``, the tags, and ``registered-models/alias``.

Every call goes through a :class:`RegistryClient` that appends to the service's
log and reads the registry projection's documents from the live blob store, so a
write answers once its document holds it. The version endpoints live in
``model_versions``; both share the client, the JSON shapes and the paging here.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from runstream.api.deps import ServiceDep
from runstream.api.mlflow import wire
from runstream.api.mlflow.errors import MlflowError, MlflowRoute, invalid
from runstream.api.mlflow.writes import answer
from runstream.consumers.registry import registry_blobs
from runstream.consumers.states import live_blobs
from runstream.registry import RegistryClient
from runstream.registry.documents import BlobReader
from runstream.registry.entities import ModelVersion, RegisteredModel
from runstream.registry.writer import LogWriter

logger = logging.getLogger(__name__)

router = APIRouter(route_class=MlflowRoute, tags=["mlflow model registry"])

MAX_MODEL_RESULTS = 1000
LOGGED_MODEL_SCHEME = "models:/"
_WRITER_ATTRIBUTE = "mlflow_registry_writer"
_ALL = 10**9

Item = TypeVar("Item", ModelVersion, RegisteredModel)

# The client adds this clause to every registered-model search to leave out
# prompts; runstream keeps no prompts, so it holds for every model.
_NOT_A_PROMPT = re.compile(
    r"\s*(?:\bAND\s+)?tags?\.`mlflow\.prompt\.is_prompt`\s*!=\s*'true'\s*",
    re.IGNORECASE,
)


def registry_client(request: Request, service: ServiceDep) -> RegistryClient:
    """A client over the service's log and the live registry documents."""
    # One writer per app: it is one producer, whose sequence numbers its events.
    writer = getattr(request.app.state, _WRITER_ATTRIBUTE, None)
    if writer is None:
        writer = LogWriter(lambda: service.log)
        setattr(request.app.state, _WRITER_ATTRIBUTE, writer)
    # Asked for per request: a replay swapped in meanwhile moves the live blobs.
    reader = BlobReader(registry_blobs(live_blobs(service.store, service.blobs)))
    wait_s = service.settings.registry_wait_s
    return RegistryClient(writer, reader, wait_s, user=_user(request))


ClientDep = Annotated[RegistryClient, Depends(registry_client)]


# -- JSON shapes ---------------------------------------------------------------------


def logged_model_id(source: str) -> str | None:
    """The logged model a version's source names (``models:/<model_id>``), if any;
    ``models:/<name>/<version>`` and ``models:/<name>@<alias>`` name none."""
    if not source.startswith(LOGGED_MODEL_SCHEME):
        return None
    rest = source.removeprefix(LOGGED_MODEL_SCHEME).strip("/")
    if not rest or "/" in rest or "@" in rest:
        return None
    return rest


def tags_json(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def version_json(version: ModelVersion) -> dict[str, Any]:
    found: dict[str, Any] = {
        "name": version.name,
        "version": str(version.version),
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
        "user_id": version.user_id,
        "current_stage": version.current_stage,
        "description": version.description or "",
        "source": version.source,
        "status": version.status,
        "tags": tags_json(version.tags),
        "aliases": list(version.aliases),
    }
    # The client tells a version without a run by the field's absence.
    if version.run_id:
        found["run_id"] = version.run_id
    model_id = logged_model_id(version.source)
    if model_id is not None:
        found["model_id"] = model_id
    return found


def model_json(model: RegisteredModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
        "description": model.description or "",
        "latest_versions": [version_json(v) for v in model.latest_versions],
        "tags": tags_json(model.tags),
        "aliases": [
            {"alias": alias, "version": str(number)}
            for alias, number in sorted(model.aliases.items())
        ],
    }


# -- ordering and paging -------------------------------------------------------------


def client_filter(text: str | None) -> str | None:
    """The search filter without the clause the client adds to skip prompts."""
    # TODO: prompts (tag mlflow.prompt.is_prompt = 'true') are not served.
    return _NOT_A_PROMPT.sub("", text) if text else text


def ordered(
    items: Sequence[Item], order_by: Sequence[str], keys: dict[str, Callable[..., Any]]
) -> list[Item]:
    """``items`` sorted by MLflow ``order_by`` clauses (``"name DESC"``), the first
    clause first; ``keys`` says which attributes may be ordered on."""
    result = list(items)
    for clause in reversed(order_by):
        column, _, direction = clause.strip().partition(" ")
        key = keys.get(column.strip("`"))
        if key is None:
            raise invalid(
                f"cannot order by {column!r}; order by one of {', '.join(keys)}"
            )
        descending = direction.strip().upper() == "DESC"
        result.sort(key=key, reverse=descending)
    return result


def page(
    items: Sequence[Item], max_results: int, page_token: str | None, limit: int
) -> tuple[list[Item], str | None]:
    """One page of ``items`` and the token of the next page, if there is one."""
    if not 1 <= max_results <= limit:
        raise invalid(f"max_results must be between 1 and {limit}")
    start = _offset(page_token)
    end = start + max_results
    token = None
    if end < len(items):
        token = base64.urlsafe_b64encode(str(end).encode()).decode()
    return list(items[start:end]), token


def _offset(page_token: str | None) -> int:
    if not page_token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(page_token.encode()).decode())
    except (ValueError, binascii.Error) as e:
        raise _bad_token(page_token) from e
    if offset < 0:  # a negative start would slice from the end
        raise _bad_token(page_token)
    return offset


def _bad_token(page_token: str) -> MlflowError:
    return invalid(
        f"invalid page_token {page_token[:40]!r}; pass the next_page_token of the "
        "previous answer"
    )


_MODEL_ORDER: dict[str, Callable[..., Any]] = {
    "name": lambda m: m.name,
    "creation_timestamp": lambda m: m.creation_timestamp,
    "timestamp": lambda m: m.creation_timestamp,
    "last_updated_timestamp": lambda m: m.last_updated_timestamp,
}


# -- registered models ---------------------------------------------------------------


@router.post("/registered-models/create")
def create_model(client: ClientDep, body: wire.CreateRegisteredModel) -> JSONResponse:
    tags = {tag.key: tag.value for tag in body.tags}
    model = client.create_registered_model(body.name, tags, body.description)
    logger.info("registered model created name=%s", model.name)
    return answer({"registered_model": model_json(model)})


@router.get("/registered-models/get")
def get_model(
    client: ClientDep, query: Annotated[wire.ModelName, Query()]
) -> dict[str, Any]:
    return {"registered_model": model_json(client.get_registered_model(query.name))}


@router.post("/registered-models/rename")
def rename_model(client: ClientDep, body: wire.RenameRegisteredModel) -> JSONResponse:
    model = client.rename_registered_model(body.name, body.new_name)
    logger.info("registered model renamed name=%s new_name=%s", body.name, model.name)
    return answer({"registered_model": model_json(model)})


@router.patch("/registered-models/update")
def update_model(client: ClientDep, body: wire.UpdateRegisteredModel) -> JSONResponse:
    model = client.update_registered_model(body.name, body.description)
    return answer({"registered_model": model_json(model)})


@router.delete("/registered-models/delete")
def delete_model(client: ClientDep, body: wire.ModelName) -> JSONResponse:
    client.delete_registered_model(body.name)
    logger.info("registered model deleted name=%s", body.name)
    return answer({})


@router.get("/registered-models/search")
def search_models(
    client: ClientDep, query: Annotated[wire.SearchRegistry, Query()]
) -> dict[str, Any]:
    models = client.search_registered_models(client_filter(query.filter), _ALL)
    models = ordered(models, query.order_by, _MODEL_ORDER)
    rows, token = page(models, query.max_results, query.page_token, MAX_MODEL_RESULTS)
    found: dict[str, Any] = {"registered_models": [model_json(m) for m in rows]}
    if token:
        found["next_page_token"] = token
    return found


@router.post("/registered-models/get-latest-versions")
def latest_versions(client: ClientDep, body: wire.LatestVersions) -> dict[str, Any]:
    versions = client.get_latest_versions(body.name, body.stages or None)
    return {"model_versions": [version_json(v) for v in versions]}


@router.get("/registered-models/get-latest-versions")
def latest_versions_get(
    client: ClientDep, query: Annotated[wire.LatestVersions, Query()]
) -> dict[str, Any]:
    return latest_versions(client, query)


@router.post("/registered-models/set-tag")
def set_model_tag(client: ClientDep, body: wire.ModelTag) -> JSONResponse:
    client.set_registered_model_tag(body.name, body.key, body.value)
    return answer({})


@router.delete("/registered-models/delete-tag")
def delete_model_tag(client: ClientDep, body: wire.ModelTagKey) -> JSONResponse:
    client.delete_registered_model_tag(body.name, body.key)
    return answer({})


# -- aliases -------------------------------------------------------------------------


@router.post("/registered-models/alias")
def set_alias(client: ClientDep, body: wire.SetAlias) -> JSONResponse:
    client.set_registered_model_alias(body.name, body.alias, body.version)
    logger.info(
        "alias set name=%s alias=%s version=%s", body.name, body.alias, body.version
    )
    return answer({})


@router.delete("/registered-models/alias")
def delete_alias(client: ClientDep, body: wire.AliasRef) -> JSONResponse:
    client.delete_registered_model_alias(body.name, body.alias)
    return answer({})


@router.get("/registered-models/alias")
@router.get("/registered-models/get-by-alias")
def get_by_alias(
    client: ClientDep, query: Annotated[wire.AliasRef, Query()]
) -> dict[str, Any]:
    version = client.get_model_version_by_alias(query.name, query.alias)
    return {"model_version": version_json(version)}


def _user(request: Request) -> str:
    """Who made a change, for the registry's history: the name of the token the
    API authenticated when tokens are on, else the basic-auth user the client
    sent (taken on its word, as the embedded default trusts its machine)."""
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        return str(principal.name)
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials).decode()
        except (ValueError, binascii.Error):
            return ""
        return decoded.partition(":")[0]
    return ""
