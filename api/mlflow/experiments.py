"""MLflow's experiment endpoints: ``experiments/create``, ``get``, ``get-by-name``,
``search``, ``update``, ``delete``, ``restore`` and the experiment tags.

Experiment ids derive from the name (``experiment_id_for``), so the SDK and this
API agree on them; a name whose id a renamed experiment still holds gets an id
derived from the name and a counter instead.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from runstream import validation as v
from runstream.api import search
from runstream.api.deps import ServiceDep
from runstream.api.mlflow import lookup, reads, wire
from runstream.api.mlflow.errors import MlflowRoute, already_exists, invalid, not_found
from runstream.api.mlflow.writes import answer, checked_write, write
from runstream.consumers.service import ProjectionService
from runstream.tracking import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    experiment_id_for,
)

logger = logging.getLogger(__name__)

router = APIRouter(route_class=MlflowRoute, tags=["mlflow experiments"])


def ensure_default_experiment(service: ProjectionService) -> None:
    """MLflow always has the experiment "0", named Default; create it on first use."""
    if reads.experiment(service.store, DEFAULT_EXPERIMENT_ID) is None:
        created = {
            "experiment_id": DEFAULT_EXPERIMENT_ID,
            "name": DEFAULT_EXPERIMENT_NAME,
            "artifact_location": "",
        }
        write(service, [("ExperimentCreated", created)])


def require_active(service: ProjectionService, experiment_id: str) -> dict[str, Any]:
    """The experiment runs and models are created in; it must be active."""
    if experiment_id == DEFAULT_EXPERIMENT_ID:
        ensure_default_experiment(service)
    return lookup.require_experiment(service, experiment_id, active=True)


@router.post("/experiments/create")
def create_experiment(service: ServiceDep, body: wire.CreateExperiment) -> JSONResponse:
    name = _checked_name(body.name)
    if name == DEFAULT_EXPERIMENT_NAME:
        ensure_default_experiment(service)
    tags = {tag.key: tag.value for tag in body.tags}
    for key, value in tags.items():
        v.check_key("tag", key, name, owner="experiment")
        v.check_text("tag", key, value, v.MAX_TAG_VALUE_LENGTH, name, "experiment")

    with checked_write:
        _require_name_free(service, name)
        experiment_id = _free_id(service, name)
        events = [
            (
                "ExperimentCreated",
                {
                    "experiment_id": experiment_id,
                    "name": name,
                    "artifact_location": body.artifact_location,
                },
            )
        ]
        events += [
            ("ExperimentTagSet", {"experiment_id": experiment_id, "key": k, "value": x})
            for k, x in tags.items()
        ]
        applied = write(service, events)
    logger.info("experiment created experiment_id=%s", experiment_id)
    return answer({"experiment_id": experiment_id}, applied)


@router.get("/experiments/get")
def get_experiment(
    service: ServiceDep, query: Annotated[wire.ExperimentRef, Query()]
) -> dict[str, Any]:
    if query.experiment_id == DEFAULT_EXPERIMENT_ID:
        ensure_default_experiment(service)
    row = lookup.require_experiment(service, query.experiment_id)
    return {"experiment": lookup.experiments_json(service.store, [row])[0]}


@router.get("/experiments/get-by-name")
def get_experiment_by_name(
    service: ServiceDep, query: Annotated[wire.ExperimentByName, Query()]
) -> dict[str, Any]:
    if query.experiment_name == DEFAULT_EXPERIMENT_NAME:
        ensure_default_experiment(service)
    row = reads.experiment_named(service.store, query.experiment_name)
    if row is None:
        raise not_found(
            f"Could not find experiment with name '{query.experiment_name}'"
        )
    return {"experiment": lookup.experiments_json(service.store, [row])[0]}


@router.post("/experiments/search")
def search_experiments(
    service: ServiceDep, body: wire.SearchExperiments
) -> dict[str, Any]:
    ensure_default_experiment(service)
    page = search.search_experiments(
        service.store,
        body.filter,
        body.order_by,
        body.max_results,
        body.page_token,
        body.view_type,
    )
    found: dict[str, Any] = {
        "experiments": lookup.experiments_json(service.store, page.rows)
    }
    if page.next_page_token:
        found["next_page_token"] = page.next_page_token
    return found


@router.get("/experiments/search")
def search_experiments_get(
    service: ServiceDep, query: Annotated[wire.SearchExperiments, Query()]
) -> dict[str, Any]:
    return search_experiments(service, query)


@router.post("/experiments/update")
def update_experiment(service: ServiceDep, body: wire.UpdateExperiment) -> JSONResponse:
    name = _checked_name(body.new_name)
    with checked_write:
        row = lookup.require_experiment(service, body.experiment_id)
        if row["lifecycle_stage"] != "active":
            raise invalid(
                f"Cannot rename a non-active experiment ({body.experiment_id}); "
                "restore it first"
            )
        if row["name"] != name:
            _require_name_free(service, name)
        renamed = {"experiment_id": body.experiment_id, "name": name}
        applied = write(service, [("ExperimentRenamed", renamed)])
    return answer({}, applied)


@router.post("/experiments/delete")
def delete_experiment(service: ServiceDep, body: wire.ExperimentRef) -> JSONResponse:
    return _set_lifecycle(service, body.experiment_id, delete=True)


@router.post("/experiments/restore")
def restore_experiment(service: ServiceDep, body: wire.ExperimentRef) -> JSONResponse:
    return _set_lifecycle(service, body.experiment_id, delete=False)


@router.post("/experiments/set-experiment-tag")
def set_experiment_tag(service: ServiceDep, body: wire.ExperimentTag) -> JSONResponse:
    experiment_id = body.experiment_id
    v.check_key("tag", body.key, experiment_id, owner="experiment")
    v.check_text(
        "tag", body.key, body.value, v.MAX_TAG_VALUE_LENGTH, experiment_id, "experiment"
    )
    lookup.require_experiment(service, experiment_id, active=True)
    tag = {"experiment_id": experiment_id, "key": body.key, "value": body.value}
    return answer({}, write(service, [("ExperimentTagSet", tag)]))


@router.post("/experiments/delete-experiment-tag")
def delete_experiment_tag(
    service: ServiceDep, body: wire.ExperimentTagKey
) -> JSONResponse:
    lookup.require_experiment(service, body.experiment_id, active=True)
    tag = {"experiment_id": body.experiment_id, "key": body.key}
    return answer({}, write(service, [("ExperimentTagDeleted", tag)]))


def _set_lifecycle(
    service: ProjectionService, experiment_id: str, delete: bool
) -> JSONResponse:
    """Delete or restore an experiment with all of its runs, as MLflow does."""
    row = reads.experiment(service.store, experiment_id)
    wanted = "active" if delete else "deleted"
    if row is None or row["lifecycle_stage"] != wanted:
        raise not_found(
            f"No {wanted} experiment with id={experiment_id}; "
            f"{'delete' if delete else 'restore'} needs one that is {wanted}"
        )
    run_ids = reads.run_ids_of(service.store, experiment_id)
    kind = "Deleted" if delete else "Restored"
    events = [(f"Experiment{kind}", {"experiment_id": experiment_id})]
    events += [(f"Run{kind}", {"run_id": run_id}) for run_id in run_ids]
    applied = write(service, events)
    logger.info(
        "experiment %s experiment_id=%s runs=%d",
        kind.lower(),
        experiment_id,
        len(run_ids),
    )
    return answer({}, applied)


def _checked_name(name: str) -> str:
    if not name:
        raise invalid("Missing value for required parameter 'name'")
    return v.check_experiment_name(name)


def _require_name_free(service: ProjectionService, name: str) -> None:
    existing = reads.experiment_named(service.store, name)
    if existing is not None:
        state = " in deleted state" if existing["lifecycle_stage"] == "deleted" else ""
        raise already_exists(
            f"Experiment(name={name}) already exists{state} "
            f"(experiment_id={existing['experiment_id']}); pick another name"
        )


def _free_id(service: ProjectionService, name: str) -> str:
    """The id derived from ``name``, unless an experiment renamed away from that
    name still holds it."""
    candidate = experiment_id_for(name)
    attempt = 0
    while reads.experiment(service.store, candidate) is not None:
        attempt += 1
        candidate = experiment_id_for(f"{name}#{attempt}")
    return candidate
