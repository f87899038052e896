"""Searching runs and experiments, and reading one experiment by id or name.

``POST /api/v1/runs/search`` and ``POST /api/v1/experiments/search`` take MLflow's
filter grammar (``runstream.api.search``) and answer a page with a token for the
next one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from runstream.api import tracking_queries as tq
from runstream.api.deps import StateDep
from runstream.api.routes.runs import with_details
from runstream.api.search import search_experiments, search_runs
from runstream.api.tracking_models import (
    ExperimentDetail,
    ExperimentPage,
    ExperimentSearch,
    RunPage,
    RunSearch,
)
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.errors import NotFoundError

router = APIRouter(tags=["search"])

_BAD_FILTER: dict[int | str, dict[str, Any]] = {
    400: {"description": "the filter or order_by does not parse"}
}


@router.post("/runs/search", responses=_BAD_FILTER)
def search_runs_route(state: StateDep, search: RunSearch) -> RunPage:
    """Runs of the given experiments that match the filter, with params, tags and
    each metric's latest value."""
    page = search_runs(
        state.store,
        search.experiment_ids,
        search.filter,
        search.order_by,
        search.max_results,
        search.page_token,
        search.view_type,
    )
    runs = with_details(state.store, page.rows)
    return RunPage(runs=runs, next_page_token=page.next_page_token)


@router.post("/experiments/search", responses=_BAD_FILTER)
def search_experiments_route(
    state: StateDep, search: ExperimentSearch
) -> ExperimentPage:
    page = search_experiments(
        state.store,
        search.filter,
        search.order_by,
        search.max_results,
        search.page_token,
        search.view_type,
    )
    return ExperimentPage(
        experiments=_with_tags(state.store, page.rows),
        next_page_token=page.next_page_token,
    )


@router.get(
    "/experiments/by-name", responses={404: {"description": "no experiment so named"}}
)
def experiment_by_name(
    state: StateDep, name: Annotated[str, Query(min_length=1)]
) -> ExperimentDetail:
    """The experiment called ``name`` (an active one before a deleted one)."""
    row = tq.get_experiment_by_name(state.store, name)
    if row is None:
        raise NotFoundError(
            f"no experiment is named {name!r}; list them with GET /api/v1/experiments "
            "(one created moments ago may not be projected yet)"
        )
    return _with_tags(state.store, [row])[0]


@router.get(
    "/experiments/{experiment_id}", responses={404: {"description": "unknown id"}}
)
def get_experiment(state: StateDep, experiment_id: str) -> ExperimentDetail:
    row = tq.get_experiment(state.store, experiment_id)
    if row is None:
        raise NotFoundError(
            f"experiment {experiment_id!r} not found; list them with "
            "GET /api/v1/experiments"
        )
    return _with_tags(state.store, [row])[0]


def _with_tags(store: ClickHouseStore, rows: list[dict]) -> list[ExperimentDetail]:
    tags = tq.experiment_tags_of(store, [row["experiment_id"] for row in rows])
    return [
        ExperimentDetail(**row, tags=tags.get(row["experiment_id"], {})) for row in rows
    ]
