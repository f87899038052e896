"""A metric's every point, page by page, and point counts per key and rank.

``GET /api/v1/runs/{run_id}/history?key=loss`` answers columns (step, timestamp,
value, rank) in (step, timestamp, rank) order; ``rank=`` keeps one writer's points,
without it every rank's are merged. Charts want the downsampled
``/runs/{run_id}/metrics/{key}`` instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from runstream.api import queries
from runstream.api import tracking_queries as tq
from runstream.api.deps import StateDep, run_not_found
from runstream.api.models import metric_value
from runstream.api.search.paging import (
    decode_page_token,
    encode_page_token,
    search_fingerprint,
)
from runstream.api.tracking_models import (
    HistoryColumns,
    MetricHistory,
    MetricSummary,
    MetricSummaryEntry,
)
from runstream.errors import NotFoundError

router = APIRouter(tags=["metrics"])

MAX_HISTORY_PAGE = 500_000


@router.get("/runs/{run_id}/history", responses={404: {"description": "no points"}})
def metric_history(
    state: StateDep,
    run_id: str,
    key: Annotated[str, Query(min_length=1, description="the metric key")],
    rank: Annotated[
        int | None,
        # The column is an Int32: ClickHouse wraps a larger bound value round
        # to another rank's points instead of refusing it.
        Query(ge=0, le=2**31 - 1, description="one writer's points; all if omitted"),
    ] = None,
    max_results: Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE)] = 100_000,
    page_token: str | None = None,
) -> MetricHistory:
    """Every point of ``key``, ``max_results`` at a time."""
    fingerprint = search_fingerprint(run_id, key, str(rank))
    offset = decode_page_token(page_token, fingerprint)
    page = tq.metric_history(state.store, run_id, key, rank, max_results, offset)
    if page.total_points == 0:
        raise NotFoundError(
            f"run {run_id!r} has no points for metric {key!r}"
            + (f" from rank {rank}" if rank is not None else "")
            + f"; GET /api/v1/runs/{run_id}/metric-summary lists its keys and ranks"
        )
    end = offset + len(page.step)
    token = encode_page_token(end, fingerprint) if end < page.total_points else None
    return MetricHistory(
        run_id=run_id,
        key=key,
        rank=rank,
        total_points=page.total_points,
        points=HistoryColumns(
            step=page.step,
            timestamp=page.timestamp,
            value=[metric_value(v) for v in page.value],
            rank=page.rank,
        ),
        next_page_token=token,
    )


@router.get("/runs/{run_id}/metric-summary", responses={404: {"description": "run"}})
def metric_summary(state: StateDep, run_id: str) -> MetricSummary:
    """How many points each key has per rank and merged, with the latest one."""
    if queries.get_run(state.store, run_id) is None:
        raise run_not_found(run_id)
    rows = tq.metric_summary(state.store, run_id)
    merged: dict[str, dict] = {}
    for row in rows:
        total = merged.get(row["key"])
        order = (row["latest_step"], row["latest_timestamp"])
        if total is None:
            merged[row["key"]] = {**row, "rank": None}
            continue
        total["points"] += row["points"]
        if order > (total["latest_step"], total["latest_timestamp"]):
            total.update(
                {k: row[k] for k in ("latest_value", "latest_step", "latest_timestamp")}
            )
    return MetricSummary(
        run_id=run_id,
        per_rank=[_entry(row) for row in rows],
        merged=[_entry(row) for row in merged.values()],
    )


def _entry(row: dict) -> MetricSummaryEntry:
    return MetricSummaryEntry(
        **{**row, "latest_value": metric_value(row["latest_value"])}
    )
