"""What route functions receive: the projection service the app was built around."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from runstream.consumers.service import ProjectionService
from runstream.consumers.states import State, StateCatalog


def get_service(request: Request) -> ProjectionService:
    service: ProjectionService = request.app.state.service
    return service


ServiceDep = Annotated[ProjectionService, Depends(get_service)]


def get_state(
    request: Request,
    state: Annotated[
        str | None,
        Query(
            description="read this replayed state instead of the live projections "
            "(GET /api/v1/states lists them)"
        ),
    ] = None,
) -> State:
    catalog: StateCatalog = request.app.state.states
    return catalog.open(state)


StateDep = Annotated[State, Depends(get_state)]


def run_not_found(run_id: str) -> HTTPException:
    return HTTPException(
        status_code=404,
        detail=(
            f"run {run_id!r} not found; list known runs with GET /api/v1/runs "
            "(a run logged moments ago may not be projected yet)"
        ),
    )
