"""Metric histories for charts: one key of one run, or many keys of many runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from runstream.api import queries
from runstream.api.deps import StateDep
from runstream.api.metric_queries import series_many
from runstream.api.models import MetricSeries, MetricSeriesList, XAxis, metric_value
from runstream.errors import InvalidInputError

router = APIRouter(tags=["metrics"])

MIN_POINTS = 2
MAX_POINTS = 100_000
# Enough for a comparison of many runs or a page of charts; each is one pass over
# its points in ClickHouse.
MAX_SERIES = 1_000


@router.get(
    "/runs/{run_id}/metrics/{key:path}",
    responses={404: {"description": "the run has no points for this key"}},
)
def get_metric_history(
    state: StateDep,
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
    series = queries.metric_series(state.store, run_id, key, x_axis, max_points)
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


@router.get("/metrics")
def get_metric_histories(
    state: StateDep,
    run_id: Annotated[list[str], Query(description="repeat for several runs")],
    key: Annotated[list[str], Query(description="repeat for several keys")],
    max_points: Annotated[
        int,
        Query(
            ge=MIN_POINTS,
            le=MAX_POINTS,
            description="above this many points a series is downsampled",
        ),
    ] = 1000,
    x_axis: XAxis = "step",
    per_rank: Annotated[
        bool,
        Query(description="a series per rank of each key, not every rank merged"),
    ] = False,
) -> MetricSeriesList:
    """The series of every given key of every given run, in one pass; those
    without points are left out. Ordered by run as given, then key and rank."""
    if len(run_id) * len(key) > MAX_SERIES:
        raise InvalidInputError(
            f"{len(run_id)} runs x {len(key)} keys asks for more than {MAX_SERIES} "
            "series; ask for fewer keys or runs at a time"
        )
    found = series_many(state.store, run_id, key, x_axis, max_points, per_rank)
    order = {r: i for i, r in enumerate(dict.fromkeys(run_id))}
    series = [
        MetricSeries(
            run_id=r,
            key=k,
            rank=rank,
            x_axis=x_axis,
            total_points=found[(r, k, rank)].total_points,
            downsampled=found[(r, k, rank)].downsampled,
            x=found[(r, k, rank)].x,
            y=[metric_value(value) for value in found[(r, k, rank)].y],
        )
        for r, k, rank in sorted(found, key=lambda s: (order[s[0]], s[1], s[2] or 0))
    ]
    return MetricSeriesList(series=series)
