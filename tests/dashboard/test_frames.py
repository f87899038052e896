"""The pure helpers that turn the API's JSON into tables, captions and figures."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import pytest

from runstream.dashboard.charts import metric_figure, points_caption, series_frame
from runstream.dashboard.frames import (
    format_duration,
    format_size,
    matching_keys,
    metric_value,
    run_duration_s,
    runs_frame,
    timezone,
)

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("sent", "expected"),
    [(1.5, 1.5), (3, 3.0), ("Infinity", math.inf), ("-Infinity", -math.inf)],
)
def test_metric_values_come_back_as_floats(sent: object, expected: float) -> None:
    assert metric_value(sent) == expected  # type: ignore[arg-type]


def test_nan_and_missing_metric_values_are_nan() -> None:
    assert math.isnan(metric_value("NaN"))
    assert math.isnan(metric_value(None))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.25, "0.2s"),
        (75, "1m 15s"),
        (3723, "1h 02m 03s"),
        (90061, "1d 01h 01m"),
    ],
)
def test_durations_read_at_a_glance(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_a_running_run_lasts_until_now() -> None:
    run = {"status": "RUNNING", "start_time": 1_000, "end_time": None}
    assert run_duration_s(run, now_ms=61_000) == 60.0
    finished = {"status": "FINISHED", "start_time": 1_000, "end_time": 3_000}
    assert run_duration_s(finished, now_ms=61_000) == 2.0


def test_sizes_use_binary_units() -> None:
    assert format_size(19) == "19 B"
    assert format_size(2048) == "2.0 KiB"
    assert format_size(5 * 1024**3) == "5.0 GiB"


def test_unknown_time_zone_falls_back_to_utc() -> None:
    assert timezone("Not/AZone") == UTC
    assert timezone(None) == UTC
    assert timezone("Europe/Berlin") == ZoneInfo("Europe/Berlin")


def test_key_filter_takes_substrings_and_regular_expressions() -> None:
    keys = ["rank1/loss", "rank0/loss", "accuracy", "Loss/val"]
    assert matching_keys(keys, "") == sorted(keys)
    assert matching_keys(keys, "loss") == ["Loss/val", "rank0/loss", "rank1/loss"]
    assert matching_keys(keys, "^rank0/") == ["rank0/loss"]
    # Not a valid regular expression: taken as plain text.
    assert matching_keys(["a(b", "ab"], "a(") == ["a(b"]


def test_runs_frame_has_a_column_per_param_and_metric() -> None:
    runs = [
        {
            "run_id": "r1",
            "run_name": "first",
            "status": "FINISHED",
            "start_time": 0,
            "end_time": 2_000,
            "params": {"lr": "0.1"},
            "metrics": {"loss": "NaN"},
        },
        {
            "run_id": "r2" * 8,
            "run_name": "",
            "status": "RUNNING",
            "start_time": 0,
            "end_time": None,
            "params": {"depth": "3"},
            "metrics": {"acc": 0.9},
        },
    ]
    frame = runs_frame(runs, UTC, now_ms=10_000)

    assert list(frame.columns) == [
        "Run",
        "Status",
        "Started",
        "Duration",
        "params.depth",
        "params.lr",
        "metrics.acc",
        "metrics.loss",
    ]
    assert list(frame["Run"]) == ["first", "r2r2r2r2"]
    assert list(frame["Duration"]) == ["2.0s", "10.0s"]
    assert math.isnan(frame["metrics.loss"][0])


def test_points_caption_tells_when_downsampled() -> None:
    full = {"x": [0, 1], "total_points": 2, "downsampled": False}
    reduced = {"x": list(range(1000)), "total_points": 25_000, "downsampled": True}
    assert points_caption(full) == "2 points"
    assert points_caption(reduced) == "1,000 of 25,000 points (downsampled)"


def test_non_finite_values_become_gaps_in_the_chart() -> None:
    series = {
        "key": "rank0/loss",
        "x_axis": "timestamp",
        "x": [0, 1000, 2000],
        "y": [1.0, "NaN", "Infinity"],
    }
    frame = series_frame(series, UTC)
    assert frame["y"][0] == 1.0
    assert frame["y"][1:].isna().all()
    assert str(frame["x"][1]) == "1970-01-01 00:00:01+00:00"

    figure = metric_figure(series, UTC)
    assert figure.layout.title.text == "rank0/loss"
    assert figure.layout.xaxis.title.text == "time"
