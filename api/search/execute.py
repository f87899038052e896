"""Run and experiment searches against the store, one page at a time."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from runstream.api.search.compiler import EXPERIMENTS, RUNS, compile_search
from runstream.api.search.paging import (
    decode_page_token,
    encode_page_token,
    search_fingerprint,
)
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.errors import InvalidInputError

logger = logging.getLogger(__name__)

ViewType = Literal["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]
MAX_RESULTS = 50_000

RUN_COLUMNS = (
    "run_id",
    "experiment_id",
    "run_name",
    "user",
    "status",
    "start_time",
    "end_time",
    "parent_run_id",
    "lifecycle_stage",
)
EXPERIMENT_COLUMNS = (
    "experiment_id",
    "name",
    "artifact_location",
    "lifecycle_stage",
    "creation_time",
    "last_update_time",
)
_STAGES: dict[str, list[str]] = {
    "ACTIVE_ONLY": ["active"],
    "DELETED_ONLY": ["deleted"],
    "ALL": ["active", "deleted"],
}


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_page_token: str | None


def search_runs(
    store: ClickHouseStore,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    page_token: str | None = None,
    view_type: ViewType = "ACTIVE_ONLY",
) -> Page:
    """One page of run rows (the columns of RUN_COLUMNS) of ``experiment_ids``
    matching the filter; ``next_page_token`` is None on the last page."""
    compiled = compile_search(RUNS, filter_string, order_by, store.database)
    fingerprint = search_fingerprint(
        filter_string, list(order_by or ()), sorted(experiment_ids), view_type
    )
    columns = ", ".join(f"r.{c} AS {c}" for c in RUN_COLUMNS)
    scope = "has({experiment_ids:Array(String)}, r.experiment_id) AND "
    return _page(
        store,
        f"SELECT {columns} FROM {store.table('runs')} AS r FINAL "
        f"{compiled.joins_sql} WHERE {scope}"
        "has({stages:Array(String)}, r.lifecycle_stage) "
        f"AND {compiled.where_sql} ORDER BY {compiled.order_sql}",
        {
            **compiled.params,
            "experiment_ids": list(experiment_ids),
            "stages": _stages(view_type),
        },
        max_results,
        page_token,
        fingerprint,
    )


def search_experiments(
    store: ClickHouseStore,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    page_token: str | None = None,
    view_type: ViewType = "ACTIVE_ONLY",
) -> Page:
    """One page of experiment rows matching the filter."""
    compiled = compile_search(EXPERIMENTS, filter_string, order_by, store.database)
    fingerprint = search_fingerprint(filter_string, list(order_by or ()), view_type)
    columns = ", ".join(f"e.{c} AS {c}" for c in EXPERIMENT_COLUMNS)
    return _page(
        store,
        f"SELECT {columns} FROM {store.table('experiments')} AS e FINAL "
        f"{compiled.joins_sql} WHERE has({{stages:Array(String)}}, e.lifecycle_stage) "
        f"AND {compiled.where_sql} ORDER BY {compiled.order_sql}",
        {**compiled.params, "stages": _stages(view_type)},
        max_results,
        page_token,
        fingerprint,
    )


def _page(
    store: ClickHouseStore,
    sql: str,
    params: dict[str, Any],
    max_results: int,
    page_token: str | None,
    fingerprint: str,
) -> Page:
    if not 1 <= max_results <= MAX_RESULTS:
        raise InvalidInputError(
            f"max_results={max_results} is out of range; ask for 1 to {MAX_RESULTS} "
            "and follow next_page_token for more"
        )
    offset = decode_page_token(page_token, fingerprint)
    # One row more than asked says whether another page follows.
    rows = store.query(
        f"{sql} LIMIT {{limit:UInt32}} OFFSET {{offset:UInt64}}",
        {**params, "limit": max_results + 1, "offset": offset},
    )
    more = len(rows) > max_results
    token = encode_page_token(offset + max_results, fingerprint) if more else None
    logger.debug("search page offset=%d rows=%d more=%s", offset, len(rows), more)
    return Page(rows[:max_results], token)


def _stages(view_type: str) -> list[str]:
    stages = _STAGES.get(view_type)
    if stages is None:
        raise InvalidInputError(
            f"view type {view_type!r} is unknown; use one of {', '.join(_STAGES)}"
        )
    return stages
