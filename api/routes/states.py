"""Replays and the states they build: ``/api/v1/replays`` and ``/api/v1/states``.

``runstream replay`` uses these when a server is running, since in the embedded
mode only the server's process may open the store.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from runstream.api.models import RequestBody
from runstream.consumers.replay_jobs import ReplayJobs
from runstream.consumers.states import LIVE, StateCatalog

logger = logging.getLogger(__name__)

router = APIRouter(tags=["replay"])


class ReplayRequest(RequestBody):
    into: str | None = Field(
        default=None,
        description="build a state under this name beside the live one; without "
        "it the live projections are rebuilt and swapped in",
    )
    until: str | None = Field(
        default=None,
        description="stop at this moment: 'partition:offset', an ISO-8601 time or "
        "epoch milliseconds (needs 'into')",
    )
    replace: bool = Field(
        default=False, description="drop a state of the same name first"
    )


class StateSummary(BaseModel):
    name: str
    database: str
    info: dict[str, str] = Field(
        description="what the state holds: blob_prefix, until, complete, ..."
    )


class StateList(BaseModel):
    states: list[StateSummary]


def _catalog(request: Request) -> StateCatalog:
    catalog: StateCatalog = request.app.state.states
    return catalog


def _jobs(request: Request) -> ReplayJobs:
    jobs: ReplayJobs = request.app.state.replays
    return jobs


@router.post(
    "/replays",
    status_code=202,
    responses={
        400: {"description": "a bad name or --until"},
        409: {"description": "a replay is running already"},
    },
)
def start_replay(request: Request, body: ReplayRequest) -> dict[str, Any]:
    """Start a replay in the server; follow it with ``GET /api/v1/replays/{id}``."""
    replay = _jobs(request).start(body.into, body.until, body.replace)
    return replay.progress.to_dict()


@router.get("/replays", responses={200: {"description": "replays since start"}})
def list_replays(request: Request) -> dict[str, Any]:
    return {"replays": [r.progress.to_dict() for r in _jobs(request).list()]}


@router.get("/replays/{replay_id}", responses={404: {"description": "unknown id"}})
def get_replay(request: Request, replay_id: str) -> dict[str, Any]:
    """How far a replay is: phase, records read of the total, events and points
    applied, and their rates."""
    return _jobs(request).get(replay_id).progress.to_dict()


@router.get("/states")
def list_states(request: Request) -> StateList:
    """The live state and every state a replay built beside it."""
    catalog = _catalog(request)
    states = []
    for name in [LIVE, *catalog.names()]:
        state = catalog.open(name)
        info = state.info()
        states.append(StateSummary(name=name, database=state.store.database, info=info))
    return StateList(states=states)


@router.delete(
    "/states/{name}",
    status_code=204,
    responses={404: {"description": "no such state"}},
)
def drop_state(request: Request, name: str) -> Response:
    """Drop a replayed state; the live one cannot be dropped."""
    _catalog(request).drop(name)
    return Response(status_code=204)
