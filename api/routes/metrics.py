"""``GET /api/v1/runs/{run_id}/metrics/{key}``: one metric's history for a chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from runstream.api import queries
from runstream.api.deps import ServiceDep
from runstream.api.models import MetricSeries, XAxis, metric_value

router = APIRouter(tags=["metrics"])

MIN_POINTS = 2
MAX_POINTS = 100_000


@router.get(
    "/runs/{run_id}/metrics/{key:path}",
    responses={404: {"description": "the run has no points for this key"}},
)
def get_metric_history(
    service: ServiceDep,
    run_id: str,
    key: str,
    max_points: Annotated[
        int,
        Query(
            ge=MIN_POINTS,
            le=MAX_POINTS,
            description="above this many points the series is downsampled",
        ),
    ] = 1000,
    x_axis: XAxis = "step",
) -> MetricSeries:
    """The points of ``key`` (which may contain slashes, e.g. ``rank0/loss``) sorted
    by ``x_axis``, reduced to ``max_points`` in ClickHouse when there are more."""
    series = queries.metric_series(service.store, run_id, key, x_axis, max_points)
    if series.total_points == 0:
        raise HTTPException(
            status_code=404,
            detail=(
                f"run {run_id!r} has no points for metric {key!r}; check the run id "
                f"and the key (GET /api/v1/runs/{run_id} lists its metrics)"
            ),
        )
    return MetricSeries(
        run_id=run_id,
        key=key,
        x_axis=x_axis,
        total_points=series.total_points,
        downsampled=series.downsampled,
        x=series.x,
        y=[metric_value(value) for value in series.y],
    )
