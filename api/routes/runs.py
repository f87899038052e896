"""``GET /api/v1/runs`` and ``GET /api/v1/runs/{run_id}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query

from runstream.api import queries
from runstream.api.deps import ServiceDep, run_not_found
from runstream.api.models import Run, RunList, metric_value
from runstream.consumers.clickhouse import ClickHouseStore

router = APIRouter(tags=["runs"])

MAX_RUNS = 10_000


@router.get("/runs")
def list_runs(
    service: ServiceDep,
    experiment_id: Annotated[
        str | None, Query(description="only this experiment's runs; all if omitted")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS)] = 1000,
) -> RunList:
    """Runs with their params, tags and latest metrics, newest start first."""
    rows = queries.list_runs(service.store, experiment_id, limit)
    return RunList(runs=with_details(service.store, rows))


@router.get("/runs/{run_id}", responses={404: {"description": "unknown run"}})
def get_run(service: ServiceDep, run_id: str) -> Run:
    """One run with its params, tags and latest metrics."""
    row = queries.get_run(service.store, run_id)
    if row is None:
        raise run_not_found(run_id)
    return with_details(service.store, [row])[0]


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
