"""Gathering a batch's metric points: Arrow columns and the latest point per key."""

from __future__ import annotations

import math

from runstream.consumers.metric_points import MetricPoints


def payload(run_id: str, names: list[str], points: list[tuple], rank: int = 0) -> dict:
    """``points`` as (name index, step, timestamp, value)."""
    return {
        "run_id": run_id,
        "names": names,
        "name_index": [p[0] for p in points],
        "steps": [p[1] for p in points],
        "timestamps": [p[2] for p in points],
        "values": [p[3] for p in points],
        "rank": rank,
    }


def test_latest_is_the_largest_step_then_timestamp_then_value():
    points = MetricPoints()
    points.add(payload("r", ["loss", "acc"], [
        (0, 5, 100, 0.9), (0, 7, 50, 0.4), (1, 2, 10, 0.1), (0, 7, 60, 0.3),
        (1, 2, 10, 0.2),
    ]))  # fmt: skip
    assert points.latest == {("r", "loss"): (7, 60, 0.3), ("r", "acc"): (2, 10, 0.2)}


def test_latest_spans_events_runs_and_name_lists():
    points = MetricPoints()
    points.add(payload("r1", ["loss"], [(0, 3, 30, 1.0)]))
    points.add(payload("r1", ["acc", "loss"], [(1, 2, 40, 2.0), (0, 1, 10, 0.5)]))
    points.add(payload("r2", ["loss"], [(0, 1, 10, 9.0)], rank=3))
    assert points.latest == {
        ("r1", "loss"): (3, 30, 1.0),
        ("r1", "acc"): (1, 10, 0.5),
        ("r2", "loss"): (1, 10, 9.0),
    }
    assert points.count == 4


def test_nan_is_kept_as_a_value():
    points = MetricPoints()
    points.add(payload("r", ["odd"], [(0, 1, 1, float("nan"))]))
    assert math.isnan(points.latest[("r", "odd")][2])


def test_the_table_carries_every_point_with_its_key_and_rank():
    points = MetricPoints()
    points.add(payload("r1", ["loss"], [(0, 3, 30, 1.0)], rank=1))
    points.add(payload("r2", ["acc", "loss"], [(1, 2, 40, 2.0), (0, 1, 10, 0.5)]))
    points.add(payload("r3", ["x"], []))
    table = points.table()
    assert table.column("key").type.value_type == "string"
    assert table.to_pydict() == {
        "run_id": ["r1", "r2", "r2"],
        "key": ["loss", "loss", "acc"],
        "step": [3, 2, 1],
        "timestamp": [30, 40, 10],
        "value": [1.0, 2.0, 0.5],
        "rank": [1, 0, 0],
    }
    latest = points.latest_columns()
    assert sorted(
        zip(latest["run_id"], latest["key"], latest["latest"], strict=True)
    ) == [
        ("r1", "loss", (3, 30, 1.0)),
        ("r2", "acc", (1, 10, 0.5)),
        ("r2", "loss", (2, 40, 2.0)),
    ]
