"""The SQL behind the tracking reads the SDK makes: experiments by id or name with
their tags, a metric's full history page by page, and point counts per rank.

User text reaches ClickHouse only as bound parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runstream.api.queries import key_values
from runstream.api.search import EXPERIMENT_COLUMNS
from runstream.consumers.clickhouse import ClickHouseStore

logger = logging.getLogger(__name__)

_EXPERIMENT_COLUMNS = ", ".join(EXPERIMENT_COLUMNS)


def get_experiment(store: ClickHouseStore, experiment_id: str) -> dict[str, Any] | None:
    rows = store.query(
        f"SELECT {_EXPERIMENT_COLUMNS} FROM {store.table('experiments')} FINAL "
        "WHERE experiment_id = {experiment_id:String}",
        {"experiment_id": experiment_id},
    )
    return rows[0] if rows else None


def get_experiment_by_name(store: ClickHouseStore, name: str) -> dict[str, Any] | None:
    """The experiment called ``name``; an active one before a deleted one."""
    rows = store.query(
        f"SELECT {_EXPERIMENT_COLUMNS} FROM {store.table('experiments')} FINAL "
        "WHERE name = {name:String} "
        "ORDER BY lifecycle_stage = 'active' DESC, last_update_time DESC LIMIT 1",
        {"name": name},
    )
    return rows[0] if rows else None


def experiment_tags_of(
    store: ClickHouseStore, experiment_ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    """``{experiment_id: {key: value}}`` of the tags that were not deleted."""
    return key_values(
        store,
        "SELECT experiment_id AS id, key, value "
        f"FROM {store.table('experiment_tags')} FINAL "
        "WHERE experiment_id IN {ids:Array(String)} AND deleted = 0",
        experiment_ids,
    )


@dataclass(frozen=True)
class HistoryPage:
    total_points: int
    step: list[int]
    timestamp: list[int]
    value: list[float]
    rank: list[int]


def metric_history(
    store: ClickHouseStore,
    run_id: str,
    key: str,
    rank: int | None,
    limit: int,
    offset: int,
) -> HistoryPage:
    """Points of one metric in (step, timestamp, rank) order, every rank merged
    unless ``rank`` is given; ``limit`` of them from ``offset``."""
    where = "WHERE run_id = {run_id:String} AND key = {key:String}"
    if rank is not None:
        where += " AND rank = {rank:Int32}"
    params = {"run_id": run_id, "key": key, "rank": rank or 0}
    table = store.table("metrics")
    total = store.query(f"SELECT count() AS n FROM {table} FINAL {where}", params)
    # One row of arrays, so a page of 100,000 points stays cheap to fetch. The
    # subquery picks the page; sorting the array itself is what fixes its order.
    rows = store.query(
        "SELECT arrayMap(p -> p.1, points) AS step, "
        "arrayMap(p -> p.2, points) AS timestamp, "
        "arrayMap(p -> p.3, points) AS rank, arrayMap(p -> p.4, points) AS value "
        "FROM (SELECT arraySort(groupArray((step, timestamp, rank, value))) "
        f"AS points FROM (SELECT step, timestamp, rank, value FROM {table} FINAL "
        f"{where} ORDER BY step, timestamp, rank, value "
        "LIMIT {limit:UInt32} OFFSET {offset:UInt64}))",
        {**params, "limit": limit, "offset": offset},
    )
    page = rows[0]
    return HistoryPage(
        int(total[0]["n"]),
        list(page["step"]),
        list(page["timestamp"]),
        list(page["value"]),
        list(page["rank"]),
    )


def metric_summary(store: ClickHouseStore, run_id: str) -> list[dict[str, Any]]:
    """Per key and rank: the point count and the latest point (highest step, then
    latest timestamp)."""
    rows = store.query(
        "SELECT key, rank, count() AS points, "
        "argMax((value, step, timestamp), (step, timestamp, value)) AS latest "
        f"FROM {store.table('metrics')} FINAL WHERE run_id = {{run_id:String}} "
        "GROUP BY key, rank ORDER BY key, rank",
        {"run_id": run_id},
    )
    return [
        {
            "key": row["key"],
            "rank": row["rank"],
            "points": row["points"],
            "latest_value": row["latest"][0],
            "latest_step": row["latest"][1],
            "latest_timestamp": row["latest"][2],
        }
        for row in rows
    ]
