"""MLflow's metric history endpoints: ``metrics/get-history`` (paged) and
``metrics/get-history-bulk-interval`` (several runs, sampled steps)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from runstream.api.deps import ServiceDep
from runstream.api.mlflow import lookup, reads, render, wire
from runstream.api.mlflow.errors import MlflowRoute, invalid
from runstream.api.search.paging import (
    decode_page_token,
    encode_page_token,
    search_fingerprint,
)

router = APIRouter(route_class=MlflowRoute, tags=["mlflow metrics"])

# MLflow's limits: a history page, and the runs and points of a bulk request.
MAX_HISTORY_PAGE = 25_000
MAX_BULK_RUNS = 100
MAX_BULK_POINTS_PER_RUN = 2_500


@router.get("/metrics/get-history")
def get_metric_history(
    service: ServiceDep, query: Annotated[wire.MetricHistory, Query()]
) -> dict[str, Any]:
    """Every point of a metric, ordered by timestamp, step and value; with
    ``max_results`` it comes in pages linked by ``next_page_token``."""
    run_id = query.id
    lookup.require_run(service, run_id)
    page_size = query.max_results or MAX_HISTORY_PAGE
    if not 1 <= page_size <= MAX_HISTORY_PAGE:
        raise invalid(f"max_results must be between 1 and {MAX_HISTORY_PAGE}")

    fingerprint = search_fingerprint("history", run_id, query.metric_key)
    offset = decode_page_token(query.page_token, fingerprint)
    # One point more than asked says whether another page follows.
    rows = reads.metric_points(
        service.store, run_id, query.metric_key, offset, page_size + 1
    )
    found: dict[str, Any] = {
        "metrics": [
            {
                **render.metric(
                    query.metric_key, r["value"], r["timestamp"], r["step"]
                ),
                "run_id": run_id,
            }
            for r in rows[:page_size]
        ]
    }
    if len(rows) > page_size:
        found["next_page_token"] = encode_page_token(offset + page_size, fingerprint)
    return found


@router.get("/metrics/get-history-bulk-interval")
def get_metric_history_bulk_interval(
    service: ServiceDep, query: Annotated[wire.MetricHistoryBulkInterval, Query()]
) -> dict[str, Any]:
    """Points of one metric for up to 100 runs at no more than ``max_results``
    steps: when there are more, steps are sampled evenly, first and last kept."""
    run_ids = list(dict.fromkeys(query.run_ids))
    if not run_ids or len(run_ids) > MAX_BULK_RUNS:
        raise invalid(
            f"GetMetricHistoryBulkInterval request must specify between 1 and "
            f"{MAX_BULK_RUNS} run_ids. Received {len(run_ids)} run_ids."
        )
    max_results = query.max_results or MAX_BULK_POINTS_PER_RUN
    if not 1 <= max_results <= MAX_BULK_POINTS_PER_RUN:
        raise invalid(f"max_results must be between 1 and {MAX_BULK_POINTS_PER_RUN}.")
    step_range = _step_range(query.start_step, query.end_step)

    steps = reads.metric_steps(service.store, run_ids, query.metric_key, step_range)
    chosen = sample_steps(steps, max_results)
    rows = reads.points_at_steps(service.store, run_ids, query.metric_key, chosen)
    return {
        "metrics": [
            {
                **render.metric(
                    query.metric_key, r["value"], r["timestamp"], r["step"]
                ),
                "run_id": r["run_id"],
            }
            for r in rows
        ]
    }


def sample_steps(steps: list[int], count: int) -> list[int]:
    """``count`` of ``steps`` spread evenly by position, first and last included."""
    if len(steps) <= count:
        return steps
    if count == 1:
        return steps[:1]
    last = len(steps) - 1
    picked = {steps[round(i * last / (count - 1))] for i in range(count)}
    return sorted(picked)


def _step_range(start: int | None, end: int | None) -> tuple[int, int] | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise invalid(
            "If either start step or end step are specified, both must be specified."
        )
    if start > end:
        raise invalid(
            "end_step must be greater than start_step. "
            f"Found start_step={start} and end_step={end}."
        )
    return start, end
