"""``GET /api/v1/runs`` and ``GET /api/v1/runs/{run_id}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query

from runstream.api import queries
from runstream.api.deps import StateDep, run_not_found
from runstream.api.models import Run, RunList, metric_value
from runstream.api.search import search_runs
from runstream.consumers.clickhouse import ClickHouseStore

router = APIRouter(tags=["runs"])

MAX_RUNS = 10_000


@router.get("/runs")
def list_runs(
    state: StateDep,
    experiment_id: Annotated[
        str | None, Query(description="only this experiment's runs; all if omitted")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS)] = 1000,
    filter_string: Annotated[
        str | None,
        Query(
            alias="filter",
            description="MLflow's search filter, e.g. metrics.loss < 0.1 AND "
            "params.optimizer = 'adam'",
        ),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        Query(description="e.g. metrics.loss ASC; repeat for ties"),
    ] = None,
) -> RunList:
    """Runs with their params, tags and latest metrics, newest start first unless
    ``order_by`` says otherwise; deleted runs included."""
    if not filter_string and not order_by:
        rows = queries.list_runs(state.store, experiment_id, limit)
        return RunList(runs=with_details(state.store, rows))

    if experiment_id:
        experiment_ids = [experiment_id]
    else:
        experiments = queries.list_experiments(state.store)
        experiment_ids = [e["experiment_id"] for e in experiments]
    page = search_runs(
        state.store,
        experiment_ids,
        filter_string,
        order_by,
        max_results=limit,
        view_type="ALL",
    )
    return RunList(runs=with_details(state.store, page.rows))


@router.get("/runs/{run_id}", responses={404: {"description": "unknown run"}})
def get_run(state: StateDep, run_id: str) -> Run:
    """One run with its params, tags and latest metrics."""
    row = queries.get_run(state.store, run_id)
    if row is None:
        raise run_not_found(run_id)
    return with_details(state.store, [row])[0]


def with_details(store: ClickHouseStore, rows: Sequence[dict[str, Any]]) -> list[Run]:
    """Attach params, tags and latest metrics to run rows: three queries however
    many runs there are."""
    run_ids = [row["run_id"] for row in rows]
    params = queries.params_of(store, run_ids)
    tags = queries.tags_of(store, run_ids)
    metrics = queries.latest_metrics_of(store, run_ids)

    runs = []
    for row in rows:
        run_id = row["run_id"]
        latest = metrics.get(run_id, {})
        runs.append(
            Run(
                **{**row, "parent_run_id": row["parent_run_id"] or None},
                params=params.get(run_id, {}),
                tags=tags.get(run_id, {}),
                metrics={key: metric_value(value) for key, value in latest.items()},
            )
        )
    return runs
