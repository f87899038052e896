"""MLflow's run endpoints: ``runs/create``, ``get``, ``update``, ``delete``,
``restore`` and ``search``."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from runstream import validation as v
from runstream.api import search
from runstream.api.deps import ServiceDep
from runstream.api.mlflow import lookup, render, wire
from runstream.api.mlflow.errors import MlflowRoute
from runstream.api.mlflow.experiments import require_active
from runstream.api.mlflow.writes import EventSpec, answer, write
from runstream.events import now_ms
from runstream.tracking import DEFAULT_EXPERIMENT_ID

logger = logging.getLogger(__name__)

router = APIRouter(route_class=MlflowRoute, tags=["mlflow runs"])

RUN_NAME_TAG = "mlflow.runName"
PARENT_RUN_TAG = "mlflow.parentRunId"
TERMINAL_STATUSES = ("FINISHED", "FAILED", "KILLED")


@router.post("/runs/create")
def create_run(service: ServiceDep, body: wire.CreateRun) -> JSONResponse:
    experiment_id = body.experiment_id or DEFAULT_EXPERIMENT_ID
    experiment = require_active(service, experiment_id)

    run_id = uuid.uuid4().hex
    tags = {tag.key: tag.value for tag in body.tags}
    # Like MLflow: a name comes from the request, else its tag, else is made up.
    run_name = body.run_name or tags.get(RUN_NAME_TAG) or f"run-{run_id[:8]}"
    tags[RUN_NAME_TAG] = run_name
    for key, value in tags.items():
        v.check_key("tag", key, run_id)
        v.check_text("tag", key, value, v.MAX_TAG_VALUE_LENGTH, run_id)

    row = {
        "run_id": run_id,
        "experiment_id": experiment_id,
        "run_name": run_name,
        "user": body.user_id,
        "status": "RUNNING",
        "start_time": body.start_time if body.start_time is not None else now_ms(),
        "end_time": None,
        "lifecycle_stage": "active",
    }
    started = {
        key: row[key]
        for key in ("run_id", "experiment_id", "run_name", "user", "start_time")
    }
    started["parent_run_id"] = tags.get(PARENT_RUN_TAG) or None
    applied = write(
        service,
        [
            ("RunStarted", started),
            ("TagsSet", {"run_id": run_id, **_columns(tags)}),
        ],
    )
    logger.info("run created run_id=%s experiment_id=%s", run_id, experiment_id)

    location = render.experiment_location(
        experiment_id, experiment["artifact_location"]
    )
    run = render.run(render.run_info(row, location), {}, tags, [], [], [])
    return answer({"run": run}, applied)


@router.get("/runs/get")
def get_run(
    service: ServiceDep, query: Annotated[wire.RunRef, Query()]
) -> dict[str, Any]:
    row = lookup.require_run(service, query.id)
    return {"run": lookup.runs_json(service.store, [row])[0]}


@router.post("/runs/update")
def update_run(service: ServiceDep, body: wire.UpdateRun) -> JSONResponse:
    run_id = body.id
    row = dict(lookup.require_run(service, run_id, active=True))
    events: list[EventSpec] = []
    if body.status is not None:
        ended = body.status in TERMINAL_STATUSES
        end_time = (body.end_time or now_ms()) if ended else None
        changed = {"run_id": run_id, "status": body.status, "end_time": end_time}
        events.append(("RunStatusChanged", changed))
        row.update(status=body.status, end_time=end_time)
    if body.run_name:
        v.check_text("tag", RUN_NAME_TAG, body.run_name, v.MAX_TAG_VALUE_LENGTH, run_id)
        events += renamed(run_id, body.run_name)
        row["run_name"] = body.run_name

    applied = write(service, events) if events else True
    return answer({"run_info": lookup.run_infos(service.store, [row])[0]}, applied)


@router.post("/runs/delete")
def delete_run(service: ServiceDep, body: wire.RunRef) -> JSONResponse:
    lookup.require_run(service, body.id)
    return answer({}, write(service, [("RunDeleted", {"run_id": body.id})]))


@router.post("/runs/restore")
def restore_run(service: ServiceDep, body: wire.RunRef) -> JSONResponse:
    lookup.require_run(service, body.id)
    return answer({}, write(service, [("RunRestored", {"run_id": body.id})]))


@router.post("/runs/search")
def search_runs(service: ServiceDep, body: wire.SearchRuns) -> dict[str, Any]:
    page = search.search_runs(
        service.store,
        body.experiment_ids,
        body.filter,
        body.order_by,
        body.max_results,
        body.page_token,
        body.run_view_type,
    )
    found: dict[str, Any] = {"runs": lookup.runs_json(service.store, page.rows)}
    if page.next_page_token:
        found["next_page_token"] = page.next_page_token
    return found


def renamed(run_id: str, run_name: str) -> list[EventSpec]:
    """A rename moves the run's name and its ``mlflow.runName`` tag together."""
    return [
        ("RunRenamed", {"run_id": run_id, "run_name": run_name}),
        ("TagsSet", {"run_id": run_id, "keys": [RUN_NAME_TAG], "values": [run_name]}),
    ]


def _columns(pairs: dict[str, str]) -> dict[str, list[str]]:
    return {"keys": list(pairs), "values": list(pairs.values())}
