"""A database made by an earlier runstream opens with today's tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.clickhouse.schema import TABLES


@pytest.fixture
def old_store(clickhouse_client: object) -> Iterator[ClickHouseStore]:
    """The layout before latest_metrics was written by the projector: argMax
    states kept by a materialized view over every point."""
    database = f"old_{uuid.uuid4().hex[:12]}"
    store = ClickHouseStore(clickhouse_client, database)
    store.command(f"CREATE DATABASE {database}")
    store.command(f"CREATE TABLE {database}.metrics ({TABLES['metrics']}")
    store.command(
        f"CREATE TABLE {database}.latest_metrics (run_id String, "
        "key LowCardinality(String), latest AggregateFunction(argMax, "
        "Tuple(Float64, Int64, Int64), Tuple(Int64, Int64, Float64))) "
        "ENGINE = AggregatingMergeTree ORDER BY (run_id, key)"
    )
    store.command(
        f"CREATE MATERIALIZED VIEW {database}.latest_metrics_mv TO "
        f"{database}.latest_metrics AS SELECT run_id, key, argMaxState((value, "
        "step, timestamp), (step, timestamp, value)) AS latest "
        f"FROM {database}.metrics GROUP BY run_id, key"
    )
    yield store
    store.command(f"DROP DATABASE IF EXISTS {database}")


def test_latest_metrics_is_rebuilt_from_the_points(old_store: ClickHouseStore):
    old_store.insert(
        "metrics",
        {"run_id": ["r", "r", "r"], "key": ["loss", "loss", "acc"],
         "step": [1, 2, 1], "timestamp": [10, 20, 10], "value": [0.9, 0.4, 0.7],
         "rank": [0, 0, 0]},
    )  # fmt: skip

    old_store.create_tables()

    views = old_store.query(
        "SELECT name FROM system.tables WHERE database = {db:String} "
        "AND engine = 'MaterializedView'",
        {"db": old_store.database},
    )
    assert views == []
    rows = old_store.query(
        f"SELECT key, max(latest) AS latest FROM {old_store.table('latest_metrics')} "
        "GROUP BY key ORDER BY key"
    )
    assert rows == [
        {"key": "acc", "latest": (1, 10, 0.7)},
        {"key": "loss", "latest": (2, 20, 0.4)},
    ]
    old_store.create_tables()  # a second start finds nothing left to upgrade
    assert len(old_store.query(f"SELECT * FROM {old_store.table('latest_metrics')}"))
