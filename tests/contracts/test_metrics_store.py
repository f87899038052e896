"""The metrics store contract: chDB in-process, and a ClickHouse server over HTTP.

No ClickHouse server can be installed on these machines, so the server run talks
to RUNSTREAM_TEST_CLICKHOUSE_URL (e.g. http://127.0.0.1:8123) when it is set, and
otherwise to chDB behind ClickHouse's HTTP interface (``clickhouse_http.py``): the
same clickhouse-connect HTTP client and the same SQL as against a real server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_http import ChdbHttpServer

from runstream.consumers.clickhouse import ClickHouseStore, connect_store
from runstream.consumers.metric_points import MetricPoints


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("RUNSTREAM_TEST_CLICKHOUSE_URL")
    if given:
        yield given
        return
    server = ChdbHttpServer(Path(tmp_path_factory.mktemp("clickhouse_http")))
    yield server.start().url
    server.stop()


@pytest.fixture(params=["chdb", "server"])
def metrics_store(request: pytest.FixtureRequest) -> Iterator[ClickHouseStore]:
    if request.param == "chdb":
        yield request.getfixturevalue("store")
        return
    url = request.getfixturevalue("server_url")
    store = connect_store(url, f"contract_{uuid.uuid4().hex[:10]}")
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


def test_the_latest_point_per_key_is_the_largest_written(
    metrics_store: ClickHouseStore,
):
    def write(*points: tuple[int, int, float]) -> None:
        metrics_store.insert(
            "latest_metrics",
            {"run_id": ["run-2"] * len(points), "key": ["loss"] * len(points),
             "latest": list(points)},
        )  # fmt: skip

    write((1, 1001, 4.0), (2, 1002, 0.5))
    write((1, 1001, 4.0))  # an older batch applied again
    (row,) = metrics_store.query(
        "SELECT max(latest).3 AS value "
        f"FROM {metrics_store.table('latest_metrics')} "
        "WHERE run_id = {run:String} GROUP BY run_id, key",
        {"run": "run-2"},
    )
    assert row["value"] == 0.5


def test_arrow_points_keep_their_keys_and_ranks(metrics_store: ClickHouseStore):
    points = MetricPoints()
    points.add({"run_id": "run-3", "names": ["a", "b"], "name_index": [0, 1, 0],
                "values": [1.0, 2.0, 3.0], "steps": [0, 0, 1],
                "timestamps": [10, 10, 11], "rank": 2})  # fmt: skip
    points.add({"run_id": "run-3", "names": ["b"], "name_index": [0],
                "values": [4.0], "steps": [1], "timestamps": [11]})  # fmt: skip
    metrics_store.insert_arrow("metrics", points.table())
    rows = metrics_store.query(
        f"SELECT key, step, value, rank FROM {metrics_store.table('metrics')} FINAL "
        "WHERE run_id = {run:String} ORDER BY key, step",
        {"run": "run-3"},
    )
    assert [tuple(r.values()) for r in rows] == [
        ("a", 0, 1.0, 2),
        ("a", 1, 3.0, 2),
        ("b", 0, 2.0, 2),
        ("b", 1, 4.0, 0),
    ]


def test_a_point_applied_twice_is_one_point_in_every_part_layout(
    metrics_store: ClickHouseStore,
):
    """Reads skip merging a part that a merge already deduplicated; a point
    delivered twice must still read once: twice in one unmerged part, and once in
    a merged part and again in a newer one."""
    batch = MetricPoints()
    event = {
        "run_id": "run-4",
        "names": ["loss"],
        "name_index": [0, 0],
        "values": [0.5, 0.25],
        "steps": [0, 1],
        "timestamps": [10, 11],
    }
    batch.add(event)
    batch.add(event)  # the same event redelivered within one batch
    metrics_store.insert_arrow("metrics", batch.table())

    def points() -> list[tuple[int, float]]:
        rows = metrics_store.query(
            f"SELECT step, value FROM {metrics_store.table('metrics')} FINAL "
            "WHERE run_id = {run:String} ORDER BY step",
            {"run": "run-4"},
        )
        return [(row["step"], row["value"]) for row in rows]

    assert points() == [(0, 0.5), (1, 0.25)]
    metrics_store.command(f"OPTIMIZE TABLE {metrics_store.table('metrics')} FINAL")
    assert points() == [(0, 0.5), (1, 0.25)]
    metrics_store.insert_arrow("metrics", batch.table())
    assert points() == [(0, 0.5), (1, 0.25)]


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


def test_many_bound_parameters_and_every_answer_shape(metrics_store: ClickHouseStore):
    run_ids = [f"run-{i:05d}-{uuid.uuid4().hex}" for i in range(300)]
    for run_id in run_ids[:3]:
        metrics_store.insert("metrics", metrics(run_id, [1.0, 2.0]))
    sql = (
        f"SELECT run_id, count() AS n FROM {metrics_store.table('metrics')} FINAL "
        "WHERE run_id IN {runs:Array(String)} GROUP BY run_id ORDER BY run_id"
    )
    # 300 ids are past what fits in a URL, so the HTTP client sends a form.
    rows = metrics_store.query(sql, {"runs": run_ids})
    assert rows == [{"run_id": r, "n": 2} for r in sorted(run_ids[:3])]
    csv = metrics_store.query_bytes(sql, {"runs": run_ids}, "CSV").decode()
    assert csv.splitlines() == [f'"{r}",2' for r in sorted(run_ids[:3])]
    table = metrics_store.query_arrow(sql, {"runs": run_ids})
    assert table.column("n").to_pylist() == [2, 2, 2]


def test_a_large_insert_arrives_whole(metrics_store: ClickHouseStore):
    count = 300_000  # several blocks, each compressed on its own over HTTP
    metrics_store.insert("metrics", metrics("big", [i / 7 for i in range(count)]))
    (row,) = metrics_store.query(
        f"SELECT count() AS n, sum(value) AS total FROM "
        f"{metrics_store.table('metrics')} FINAL WHERE run_id = 'big'"
    )
    assert row["n"] == count
    assert row["total"] == pytest.approx(sum(i / 7 for i in range(count)))
