"""The query API's SQL: every SELECT it runs lives here.

Every table is a ReplacingMergeTree (or an AggregatingMergeTree fed by one), so
reads use FINAL or aggregate: a row delivered twice never shows twice. User text
reaches ClickHouse only as a bound parameter (``{name:Type}``); the only text put
into SQL strings is table and column names chosen in this module.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runstream.consumers.clickhouse import ClickHouseStore

logger = logging.getLogger(__name__)

_RUN_COLUMNS = (
    "run_id, experiment_id, run_name, user, status, start_time, end_time, "
    "parent_run_id, lifecycle_stage"
)
# Points sort by the chosen axis, then by the other one, so points that share an x
# keep a stable order.
_SORT_KEYS = {"step": ("step", "timestamp"), "timestamp": ("timestamp", "step")}


def list_experiments(store: ClickHouseStore) -> list[dict[str, Any]]:
    return store.query(
        "SELECT experiment_id, name, artifact_location, lifecycle_stage, "
        f"creation_time, last_update_time FROM {store.table('experiments')} FINAL "
        "ORDER BY name, experiment_id"
    )


def list_runs(
    store: ClickHouseStore, experiment_id: str | None, limit: int
) -> list[dict[str, Any]]:
    """Run rows, newest start first."""
    where = "WHERE experiment_id = {experiment_id:String}" if experiment_id else ""
    return store.query(
        f"SELECT {_RUN_COLUMNS} FROM {store.table('runs')} FINAL {where} "
        "ORDER BY start_time DESC, run_id LIMIT {limit:UInt32}",
        {"experiment_id": experiment_id or "", "limit": limit},
    )


def get_run(store: ClickHouseStore, run_id: str) -> dict[str, Any] | None:
    rows = store.query(
        f"SELECT {_RUN_COLUMNS} FROM {store.table('runs')} FINAL "
        "WHERE run_id = {run_id:String}",
        {"run_id": run_id},
    )
    return rows[0] if rows else None


def params_of(
    store: ClickHouseStore, run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``{run_id: {key: value}}`` for all of ``run_ids`` in one query."""
    return _key_values(
        store,
        f"SELECT run_id, key, value FROM {store.table('params')} FINAL "
        "WHERE run_id IN {run_ids:Array(String)}",
        run_ids,
    )


def tags_of(
    store: ClickHouseStore, run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``{run_id: {key: value}}`` of the tags that were not deleted."""
    return _key_values(
        store,
        f"SELECT run_id, key, value FROM {store.table('tags')} FINAL "
        "WHERE run_id IN {run_ids:Array(String)} AND deleted = 0",
        run_ids,
    )


def latest_metrics_of(
    store: ClickHouseStore, run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``{run_id: {key: value}}`` of each key's point with the largest
    (step, timestamp), which the latest_metrics view keeps as it goes."""
    return _key_values(
        store,
        "SELECT run_id, key, tupleElement(argMaxMerge(latest), 1) AS value "
        f"FROM {store.table('latest_metrics')} "
        "WHERE run_id IN {run_ids:Array(String)} GROUP BY run_id, key",
        run_ids,
    )


def _key_values(
    store: ClickHouseStore, sql: str, run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    if not run_ids:
        return {}
    found: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in store.query(sql, {"run_ids": list(run_ids)}):
        found[row["run_id"]][row["key"]] = row["value"]
    return found


@dataclass(frozen=True)
class Series:
    total_points: int
    downsampled: bool
    x: list[int]
    y: list[float]


def metric_series(
    store: ClickHouseStore, run_id: str, key: str, x_axis: str, max_points: int
) -> Series:
    """The points of one metric sorted by ``x_axis``; above ``max_points`` they are
    reduced in ClickHouse, so a long history never travels whole."""
    x_column, tie_column = _SORT_KEYS[x_axis]
    table = store.table("metrics")
    parameters = {"run_id": run_id, "key": key, "max_points": max_points}
    where = "WHERE run_id = {run_id:String} AND key = {key:String}"

    total = store.query(f"SELECT count() AS n FROM {table} FINAL {where}", parameters)
    total_points = total[0]["n"]
    if total_points <= max_points:
        # Sorting the array itself, not a subquery, is what guarantees the order.
        rows = store.query(
            "SELECT arrayMap(p -> p.1, points) AS x, arrayMap(p -> p.3, points) AS y "
            f"FROM (SELECT arraySort(groupArray(({x_column}, {tie_column}, value))) "
            f"AS points FROM {table} FINAL {where})",
            parameters,
        )
        return Series(total_points, False, list(rows[0]["x"]), list(rows[0]["y"]))

    # The function sorts by x itself and always keeps the first and last points.
    rows = store.query(
        "SELECT arrayMap(p -> toInt64(p.1), points) AS x, "
        "arrayMap(p -> p.2, points) AS y FROM ("
        "SELECT largestTriangleThreeBuckets({max_points:UInt64})"
        f"({x_column}, value) AS points FROM {table} FINAL {where})",
        parameters,
    )
    logger.debug(
        "downsampled run_id=%s key=%s total_points=%d max_points=%d",
        run_id,
        key,
        total_points,
        max_points,
    )
    return Series(total_points, True, list(rows[0]["x"]), list(rows[0]["y"]))


def list_artifacts(
    store: ClickHouseStore, run_id: str, folder: str | None
) -> list[dict[str, Any]]:
    """Indexed files of a run, by path; under ``folder`` only if given."""
    where = "WHERE run_id = {run_id:String}"
    if folder:
        where += " AND (path = {folder:String} OR startsWith(path, {prefix:String}))"
    return store.query(
        f"SELECT path, size, sha256 FROM {store.table('artifacts')} FINAL {where} "
        "ORDER BY path",
        {"run_id": run_id, "folder": folder or "", "prefix": f"{folder}/"},
    )


def artifact_indexed(store: ClickHouseStore, run_id: str, path: str) -> bool:
    rows = store.query(
        f"SELECT count() AS n FROM {store.table('artifacts')} FINAL "
        "WHERE run_id = {run_id:String} AND path = {path:String}",
        {"run_id": run_id, "path": path},
    )
    return bool(rows[0]["n"] > 0)
