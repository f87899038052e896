"""The query API's SQL: every SELECT it runs lives here.

Every table is a ReplacingMergeTree (or an AggregatingMergeTree fed by one), so
reads use FINAL or aggregate: a row delivered twice never shows twice. User text
reaches ClickHouse only as a bound parameter (``{name:Type}``); the only text put
into SQL strings is table and column names chosen in this module.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from runstream.api.metric_queries import Series, series_many
from runstream.consumers.clickhouse import ClickHouseStore

logger = logging.getLogger(__name__)

_RUN_COLUMNS = (
    "run_id, experiment_id, run_name, user, status, start_time, end_time, "
    "parent_run_id, lifecycle_stage"
)


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
    return key_values(
        store,
        f"SELECT run_id AS id, key, value FROM {store.table('params')} FINAL "
        "WHERE run_id IN {ids:Array(String)}",
        run_ids,
    )


def tags_of(
    store: ClickHouseStore, run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``{run_id: {key: value}}`` of the tags that were not deleted."""
    return key_values(
        store,
        f"SELECT run_id AS id, key, value FROM {store.table('tags')} FINAL "
        "WHERE run_id IN {ids:Array(String)} AND deleted = 0",
        run_ids,
    )


def latest_metrics_of(
    store: ClickHouseStore, run_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``{run_id: {key: value}}`` of each key's point with the largest
    (step, timestamp), which latest_metrics keeps as it goes."""
    return key_values(
        store,
        "SELECT run_id AS id, key, tupleElement(max(latest), 3) AS value "
        f"FROM {store.table('latest_metrics')} "
        "WHERE run_id IN {ids:Array(String)} GROUP BY run_id, key",
        run_ids,
    )


def key_values(
    store: ClickHouseStore, sql: str, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Group the rows of ``sql`` (columns ``id, key, value``, bound ``{ids:...}``)
    as ``{id: {key: value}}``: one query for any number of runs, experiments or
    models."""
    if not ids:
        return {}
    # Grouped in ClickHouse: one row per id instead of one per key took a third
    # off attaching the params, tags and metrics of 500 runs of 20 each.
    grouped = (
        "SELECT id, groupArray(key) AS keys, groupArray(value) AS values "
        f"FROM ({sql}) GROUP BY id"
    )
    rows = store.query(grouped, {"ids": list(ids)})
    return {
        row["id"]: dict(zip(row["keys"], row["values"], strict=True)) for row in rows
    }


def metric_series(
    store: ClickHouseStore, run_id: str, key: str, x_axis: str, max_points: int
) -> Series:
    """The points of one metric sorted by ``x_axis``; above ``max_points`` they are
    reduced in ClickHouse, so a long history never travels whole."""
    found = series_many(store, [run_id], [key], x_axis, max_points)
    return found.get((run_id, key, None), Series(0, False, [], []))


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
