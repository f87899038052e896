"""The metrics store contract: chDB in-process, and a ClickHouse server over HTTP
when one is given.

No ClickHouse server can be installed on these machines, so the server run needs
RUNSTREAM_TEST_CLICKHOUSE_URL (e.g. http://127.0.0.1:8123) pointing at one; the
SQL is the same in both, so chDB exercises it everywhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from runstream.consumers.clickhouse import ClickHouseStore, connect_store

SERVER = os.environ.get("RUNSTREAM_TEST_CLICKHOUSE_URL")
KINDS = ["chdb"] + (["server"] if SERVER else [])


@pytest.fixture(params=KINDS)
def metrics_store(request: pytest.FixtureRequest) -> Iterator[ClickHouseStore]:
    if request.param == "chdb":
        yield request.getfixturevalue("store")
        return
    assert SERVER is not None
    store = connect_store(SERVER, f"contract_{uuid.uuid4().hex[:10]}")
    store.create_tables()
    yield store
    store.command(f"DROP DATABASE IF EXISTS {store.database}")
    store.close()


def metrics(run_id: str, values: list[float]) -> dict[str, list[object]]:
    return {
        "run_id": [run_id] * len(values),
        "key": ["loss"] * len(values),
        "step": list(range(len(values))),
        "timestamp": [1000 + i for i in range(len(values))],
        "value": values,
    }


def test_creating_the_tables_twice_changes_nothing(metrics_store: ClickHouseStore):
    metrics_store.create_tables()
    assert metrics_store.ping()


def test_reinserted_points_are_one_point_to_readers(metrics_store: ClickHouseStore):
    points = metrics("run-1", [3.0, 2.0, 1.0])
    metrics_store.insert("metrics", points)
    metrics_store.insert("metrics", points)  # at-least-once delivery
    rows = metrics_store.query(
        f"SELECT step, value FROM {metrics_store.table('metrics')} FINAL "
        "WHERE run_id = {run:String} ORDER BY step",
        {"run": "run-1"},
    )
    assert rows == [
        {"step": 0, "value": 3.0},
        {"step": 1, "value": 2.0},
        {"step": 2, "value": 1.0},
    ]


def test_the_latest_value_per_key_follows_the_largest_step(
    metrics_store: ClickHouseStore,
):
    metrics_store.insert("metrics", metrics("run-2", [5.0, 4.0]))
    metrics_store.insert("metrics", metrics("run-2", [5.0, 4.0, 0.5]))
    (row,) = metrics_store.query(
        "SELECT argMaxMerge(latest).1 AS value "
        f"FROM {metrics_store.table('latest_metrics')} "
        "WHERE run_id = {run:String} GROUP BY run_id, key",
        {"run": "run-2"},
    )
    assert row["value"] == 0.5


def test_newer_versions_of_a_row_replace_older_ones(metrics_store: ClickHouseStore):
    for version, value in ((7, "new"), (3, "old")):
        metrics_store.insert(
            "params",
            {"run_id": ["r"], "key": ["lr"], "value": [value], "version": [version]},
        )
    rows = metrics_store.query(
        f"SELECT value FROM {metrics_store.table('params')} FINAL WHERE run_id = 'r'"
    )
    assert rows == [{"value": "new"}]
