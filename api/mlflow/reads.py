"""The SQL the MLflow endpoints read with, beyond what ``api.queries`` and
``api.search`` already offer.

As everywhere in the API, user text reaches ClickHouse only as bound parameters and
tables are read with FINAL (or aggregated), so a row delivered twice shows once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from runstream.consumers.clickhouse import ClickHouseStore

_EXPERIMENT_COLUMNS = (
    "experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
    "last_update_time"
)


def experiment(store: ClickHouseStore, experiment_id: str) -> dict[str, Any] | None:
    rows = store.query(
        f"SELECT {_EXPERIMENT_COLUMNS} FROM {store.table('experiments')} FINAL "
        "WHERE experiment_id = {experiment_id:String}",
        {"experiment_id": experiment_id},
    )
    return rows[0] if rows else None


def experiment_named(store: ClickHouseStore, name: str) -> dict[str, Any] | None:
    rows = store.query(
        f"SELECT {_EXPERIMENT_COLUMNS} FROM {store.table('experiments')} FINAL "
        "WHERE name = {name:String} ORDER BY creation_time LIMIT 1",
        {"name": name},
    )
    return rows[0] if rows else None


def experiment_locations(
    store: ClickHouseStore, experiment_ids: Sequence[str]
) -> dict[str, str]:
    """``{experiment_id: artifact_location}`` (empty when runstream's default)."""
    rows = store.query(
        f"SELECT experiment_id, artifact_location FROM {store.table('experiments')} "
        "FINAL WHERE experiment_id IN {ids:Array(String)}",
        {"ids": list(set(experiment_ids))},
    )
    return {row["experiment_id"]: row["artifact_location"] for row in rows}


def run_ids_of(store: ClickHouseStore, experiment_id: str) -> list[str]:
    """Every run of an experiment, deleted or not."""
    rows = store.query(
        f"SELECT run_id FROM {store.table('runs')} FINAL "
        "WHERE experiment_id = {experiment_id:String}",
        {"experiment_id": experiment_id},
    )
    return [row["run_id"] for row in rows]


def latest_metrics(
    store: ClickHouseStore, run_ids: Sequence[str]
) -> dict[str, list[tuple[str, float, int, int]]]:
    """``{run_id: [(key, value, timestamp, step)]}`` of each key's latest point."""
    found: dict[str, list[tuple[str, float, int, int]]] = defaultdict(list)
    if not run_ids:
        return found
    rows = store.query(
        "SELECT run_id, key, max(latest) AS latest "
        f"FROM {store.table('latest_metrics')} "
        "WHERE run_id IN {ids:Array(String)} GROUP BY run_id, key ORDER BY key",
        {"ids": list(run_ids)},
    )
    for row in rows:
        step, timestamp, value = row["latest"]
        found[row["run_id"]].append((row["key"], value, timestamp, step))
    return found


def dataset_inputs(
    store: ClickHouseStore, run_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    return _rows_by_run(
        store,
        "SELECT run_id, name, digest, source_type, source, schema, profile, context "
        f"FROM {store.table('inputs')} FINAL WHERE run_id IN {{ids:Array(String)}} "
        "ORDER BY name, digest, context",
        run_ids,
    )


def model_outputs(
    store: ClickHouseStore, run_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    return _rows_by_run(
        store,
        f"SELECT run_id, model_id, step FROM {store.table('run_outputs')} FINAL "
        "WHERE run_id IN {ids:Array(String)} ORDER BY step, model_id",
        run_ids,
    )


def _rows_by_run(
    store: ClickHouseStore, sql: str, run_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if run_ids:
        for row in store.query(sql, {"ids": list(run_ids)}):
            found[row.pop("run_id")].append(row)
    return found


# -- metric histories ----------------------------------------------------------------


def metric_points(
    store: ClickHouseStore, run_id: str, key: str, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Points of one metric in MLflow's history order: timestamp, step, value."""
    return store.query(
        f"SELECT step, timestamp, value FROM {store.table('metrics')} FINAL "
        "WHERE run_id = {run_id:String} AND key = {key:String} "
        "ORDER BY timestamp, step, value "
        "LIMIT {limit:UInt64} OFFSET {offset:UInt64}",
        {"run_id": run_id, "key": key, "limit": limit, "offset": offset},
    )


def metric_steps(
    store: ClickHouseStore,
    run_ids: Sequence[str],
    key: str,
    step_range: tuple[int, int] | None,
) -> list[int]:
    """The distinct steps at which any of the runs logged ``key``, ascending."""
    within = "AND step BETWEEN {low:Int64} AND {high:Int64}" if step_range else ""
    low, high = step_range or (0, 0)
    rows = store.query(
        f"SELECT DISTINCT step FROM {store.table('metrics')} FINAL "
        f"WHERE run_id IN {{ids:Array(String)}} AND key = {{key:String}} {within} "
        "ORDER BY step",
        {"ids": list(run_ids), "key": key, "low": low, "high": high},
    )
    return [row["step"] for row in rows]


def points_at_steps(
    store: ClickHouseStore, run_ids: Sequence[str], key: str, steps: Sequence[int]
) -> list[dict[str, Any]]:
    return store.query(
        f"SELECT run_id, step, timestamp, value FROM {store.table('metrics')} FINAL "
        "WHERE run_id IN {ids:Array(String)} AND key = {key:String} "
        "AND has({steps:Array(Int64)}, step) ORDER BY run_id, step, timestamp",
        {"ids": list(run_ids), "key": key, "steps": list(steps)},
    )
