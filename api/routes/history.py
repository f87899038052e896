"""``GET /api/v1/runs/{run_id}/events``: what happened to a run, in log order."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query

from runstream.api import queries
from runstream.api.deps import StateDep, run_not_found
from runstream.api.metric_queries import event_history
from runstream.api.models import EventHistory, HistoryEvent

logger = logging.getLogger(__name__)

router = APIRouter(tags=["history"])

MAX_EVENTS = 10_000


@router.get("/runs/{run_id}/events", responses={404: {"description": "unknown run"}})
def run_history(
    state: StateDep,
    run_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 1000,
    # ClickHouse wraps an OFFSET of 2**64 round to 0 instead of refusing it.
    offset: Annotated[int, Query(ge=0, le=2**63 - 1, description="events to skip")] = 0,
) -> EventHistory:
    """The events the projections applied for this run, with their positions on
    the log (any of which ``runstream replay --until`` takes) and their times."""
    if queries.get_run(state.store, run_id) is None:
        raise run_not_found(run_id)
    total, rows = event_history(state.store, run_id, limit, offset)
    # TODO: a registered model's events (keyed by its name in the events table) on
    # a route and page of their own; /registry/.../history covers its stages.
    return EventHistory(
        key=run_id, total=total, events=[HistoryEvent(**row) for row in rows]
    )
