"""Downsampling answers the same however the points lie in the table's parts."""

from __future__ import annotations

import random

import pytest

from runstream.api.metric_queries import series_many
from runstream.consumers.clickhouse import ClickHouseStore

POINTS = 50_000


def insert_in_parts(store: ClickHouseStore, rows: list[tuple], parts: int) -> None:
    """``parts`` inserts of consecutive rows: parts that a reader may take in
    parallel, since their keys do not overlap."""
    size = -(-len(rows) // parts)
    for part in range(parts):
        chunk = rows[part * size : (part + 1) * size]
        store.insert(
            "metrics",
            {
                "run_id": ["r"] * len(chunk),
                "key": ["loss"] * len(chunk),
                "step": [row[0] for row in chunk],
                "timestamp": [row[1] for row in chunk],
                "value": [row[2] for row in chunk],
                "rank": [row[3] for row in chunk],
            },
        )


@pytest.mark.parametrize("per_rank", [False, True])
def test_points_that_share_an_x_are_downsampled_alike_in_any_layout(
    store: ClickHouseStore, per_rank: bool
) -> None:
    noise = random.Random(7)
    # Four ranks at each step, ten points in each millisecond: ties everywhere.
    rows = [(i // 4, 1_000 + i // 10, noise.gauss(0, 1), i % 4) for i in range(POINTS)]
    other = store.for_database(store.database + "_layout")
    other.create_tables()
    try:
        insert_in_parts(store, rows, parts=3)
        # One merged part is read by several threads at once, several parts are
        # merged as they are read: two ways for ties to arrive in another order.
        store.command(f"OPTIMIZE TABLE {store.table('metrics')} FINAL")
        insert_in_parts(other, rows, parts=16)

        for axis in ("step", "timestamp"):
            one = series_many(store, ["r"], ["loss"], axis, 300, per_rank)
            two = series_many(other, ["r"], ["loss"], axis, 300, per_rank)
            assert one == two
            assert all(s.downsampled and len(s.x) == 300 for s in one.values())
    finally:
        store.command(f"DROP DATABASE IF EXISTS {other.database}")


def test_one_series_alone_answers_as_it_does_among_others(
    store: ClickHouseStore,
) -> None:
    """One run and one key take a query without GROUP BY; the answer must be the
    one the grouped query gives for the same series."""
    noise = random.Random(11)
    rows = [(i // 4, 1_000 + i // 10, noise.gauss(0, 1), i % 4) for i in range(POINTS)]
    insert_in_parts(store, rows, parts=4)
    store.insert(
        "metrics",
        {"run_id": ["other"] * 3, "key": ["loss"] * 3, "step": [1, 2, 3],
         "timestamp": [1, 2, 3], "value": [0.1, 0.2, 0.3], "rank": [0, 0, 0]},
    )  # fmt: skip
    for axis in ("step", "timestamp"):
        alone = series_many(store, ["r"], ["loss"], axis, 300)
        among = series_many(store, ["r", "other"], ["loss", "acc"], axis, 300)
        assert alone[("r", "loss", None)] == among[("r", "loss", None)]
        assert alone[("r", "loss", None)].downsampled
        short = series_many(store, ["other"], ["loss"], axis, 300)
        assert short == {("other", "loss", None): among[("other", "loss", None)]}
    assert series_many(store, ["r"], ["missing"], "step", 300) == {}
