"""The query API's SQL for metric histories and event histories.

Long histories are reduced inside ClickHouse with largestTriangleThreeBuckets, so
a chart never receives more than ``max_points`` points however long the run; the
full resolution leaves only through the export, one key at a time, so that no
single query holds the store for long. Text from users reaches SQL only as bound
parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from runstream.consumers.clickhouse import ClickHouseStore

logger = logging.getLogger(__name__)

# Points sort by the chosen axis, then by the other one, so points that share an x
# keep a stable order.
SORT_KEYS = {"step": ("step", "timestamp"), "timestamp": ("timestamp", "step")}
EXPORT_COLUMNS = "key, step, timestamp, value"
# The metrics table's ORDER BY (consumers/clickhouse/schema.py).
SORTING_KEY = "run_id, key, rank, step, timestamp, value"


@dataclass(frozen=True)
class Series:
    total_points: int
    downsampled: bool
    x: list[int]
    y: list[float]


# (run_id, key, rank); rank is None when every rank's points are merged.
SeriesKey = tuple[str, str, int | None]
_MERGED = -1


def series_many(
    store: ClickHouseStore,
    run_ids: Sequence[str],
    keys: Sequence[str],
    x_axis: str,
    max_points: int,
    per_rank: bool = False,
) -> dict[SeriesKey, Series]:
    """The series of every (run, key) that has points (and every rank of it when
    ``per_rank``), each sorted by ``x_axis`` and reduced to ``max_points`` when
    longer: one pass over the data for all of them, and a second one only for
    the short series."""
    if not run_ids or not keys:
        return {}
    x_column, tie_column = SORT_KEYS[x_axis]
    rank = "rank" if per_rank else f"toInt32({_MERGED})"
    where = "WHERE run_id IN {run_ids:Array(String)} AND key IN {keys:Array(String)}"
    parameters = {
        "run_ids": list(run_ids),
        "keys": list(keys),
        "max_points": max_points,
    }

    # The function keeps the first and last points and sorts by x itself, but
    # points that share an x (ranks at one step, points in one millisecond) keep
    # the order they arrive in. Input in one total order, aggregated in that
    # order, with a planner told to keep the sort (it would drop it as useless
    # before an aggregation) makes the answer the same however the table's parts
    # lie: a replayed state answers exactly as the live one. The table's own
    # sorting key is that order, but the points are sorted after reading, not read
    # in that order: reading FINAL in order was a little faster for a run alone in
    # its parts (58 against 67 ms on 1,000,000 points) and three times slower for
    # one sharing them with other runs, as a live server's parts are (268 ms).
    # Reading the points out to downsample them in numpy gives the same answer
    # and is no faster: moving 1,000,000 points out of chDB costs what the
    # function itself does (docs/performance.md).
    # TODO: a series spread over several parts still takes ~0.1 s per 1,000,000
    # points, half of it the FINAL merge; only pre-aggregated series would go lower.
    # One series, the chart's usual question, needs no GROUP BY: grouping hashed
    # the run id of every point and was a third of the query.
    single = len(run_ids) == 1 and len(keys) == 1 and not per_rank
    groups = "" if single else "run_id, key, rank_group, "
    group_by = "" if single else "GROUP BY run_id, key, rank_group "
    reduced = store.query(
        f"SELECT {groups}count() AS n, "
        "largestTriangleThreeBuckets({max_points:UInt64})(x, value) AS points FROM ("
        f"SELECT run_id, key, {rank} AS rank_group, {x_column} AS x, value "
        f"FROM {store.table('metrics')} FINAL {where} "
        f"ORDER BY {SORTING_KEY}) "
        f"{group_by}SETTINGS optimize_read_in_order = 0, "
        "query_plan_remove_redundant_sorting = 0",
        parameters,
    )
    found: dict[SeriesKey, Series] = {}
    short: list[tuple[str, str, int]] = []
    if single:
        one = {"run_id": run_ids[0], "key": keys[0], "rank_group": _MERGED}
        # Without a GROUP BY an empty series still answers its one row.
        reduced = [{**row, **one} for row in reduced if row["n"]]
    for row in reduced:
        if row["n"] <= max_points:
            short.append((row["run_id"], row["key"], row["rank_group"]))
            continue
        x = [int(p[0]) for p in row["points"]]
        y = [p[1] for p in row["points"]]
        found[_series_key(row)] = Series(row["n"], True, x, y)
    if short:
        found.update(_exact(store, short, rank, x_column, tie_column))
    logger.debug(
        "series runs=%d keys=%d found=%d downsampled=%d",
        len(run_ids),
        len(keys),
        len(found),
        len(found) - len(short),
    )
    return found


def _series_key(row: dict[str, Any]) -> SeriesKey:
    rank = row["rank_group"]
    return (row["run_id"], row["key"], None if rank == _MERGED else rank)


def _exact(
    store: ClickHouseStore,
    groups: Sequence[tuple[str, str, int]],
    rank: str,
    x_column: str,
    tie_column: str,
) -> dict[SeriesKey, Series]:
    # Sorting the array itself, not a subquery, is what guarantees the order.
    rows = store.query(
        "SELECT run_id, key, rank_group, arrayMap(p -> p.1, points) AS x, "
        "arrayMap(p -> p.3, points) AS y FROM ("
        f"SELECT run_id, key, {rank} AS rank_group, "
        f"arraySort(groupArray(({x_column}, {tie_column}, value))) AS points "
        f"FROM {store.table('metrics')} FINAL "
        "WHERE (run_id, key) IN {pairs:Array(Tuple(String, String))} "
        "GROUP BY run_id, key, rank_group)",
        {"pairs": sorted({(r, k) for r, k, _ in groups})},
    )
    wanted = set(groups)
    return {
        _series_key(row): Series(len(row["x"]), False, list(row["x"]), list(row["y"]))
        for row in rows
        if (row["run_id"], row["key"], row["rank_group"]) in wanted
    }


def metric_keys(store: ClickHouseStore, run_id: str) -> list[str]:
    rows = store.query(
        f"SELECT DISTINCT key FROM {store.table('latest_metrics')} "
        "WHERE run_id = {run_id:String} ORDER BY key",
        {"run_id": run_id},
    )
    return [row["key"] for row in rows]


def export_csv(
    store: ClickHouseStore, run_id: str, keys: Sequence[str]
) -> Iterator[bytes]:
    """Every point of ``keys``, as CSV with a header, one key per query."""
    for index, key in enumerate(keys):
        fmt = "CSVWithNames" if index == 0 else "CSV"
        yield _raw(store, run_id, key, fmt)


def export_arrow(
    store: ClickHouseStore, run_id: str, keys: Sequence[str]
) -> Iterator[pa.Table]:
    """Every point of ``keys`` as Arrow tables, one key per query."""
    for key in keys:
        parameters = {"run_id": run_id, "key": key}
        table: pa.Table = store.query_arrow(_export_sql(store), parameters)
        yield table


def _raw(store: ClickHouseStore, run_id: str, key: str, fmt: str) -> bytes:
    parameters = {"run_id": run_id, "key": key}
    return store.query_bytes(_export_sql(store), parameters, fmt)


def _export_sql(store: ClickHouseStore) -> str:
    return (
        f"SELECT {EXPORT_COLUMNS} FROM {store.table('metrics')} FINAL "
        "WHERE run_id = {run_id:String} AND key = {key:String} "
        "ORDER BY step, timestamp, value"
    )


def event_history(
    store: ClickHouseStore, key: str, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """The events of one entity (a run id, an experiment id) in log order, and
    how many there are."""
    table = store.table("events")
    parameters = {"key": key, "limit": limit, "offset": offset}
    total = store.query(
        f"SELECT count() AS n FROM {table} FINAL WHERE key = {{key:String}}",
        parameters,
    )[0]["n"]
    rows = store.query(
        "SELECT topic, partition, offset, event_id, event_type, occurred_at, "
        f"producer_id, sequence FROM {table} FINAL WHERE key = {{key:String}} "
        "ORDER BY topic, partition, offset "
        "LIMIT {limit:UInt32} OFFSET {offset:UInt64}",
        parameters,
    )
    return int(total), rows
