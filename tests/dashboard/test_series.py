"""The dashboard's pure helpers: smoothing, x axes, per-rank charts, comparison
figures, artifact kinds and folders."""

from __future__ import annotations

import math

import pytest

from runstream.dashboard.artifact_preview import preview_kind, read_table
from runstream.dashboard.artifacts import folders_of
from runstream.dashboard.compare_figures import (
    compare_frame,
    parallel_coordinates,
    param_scatter,
)
from runstream.dashboard.series import ChartSpec, chart_specs, ema, x_values


def test_smoothing_is_debiased_and_keeps_gaps() -> None:
    assert ema([1.0, 2.0, 3.0], 0.0) == [1.0, 2.0, 3.0]
    smoothed = ema([4.0, math.nan, 4.0, 0.0], 0.5)
    # Debiased: a constant start stays at its value instead of rising from zero.
    assert smoothed[0] == pytest.approx(4.0)
    assert math.isnan(smoothed[1])
    assert smoothed[2] == pytest.approx(4.0)
    assert 0.0 < smoothed[3] < 4.0


def test_relative_time_counts_seconds_from_the_run_start() -> None:
    series = {"x": [1_000, 3_500]}
    assert x_values(series, "relative", 500) == [0.5, 3.0]
    assert x_values(series, "relative", None) == [0.0, 2.5]
    assert x_values(series, "step", 500) == [1_000, 3_500]


def test_rank_keys_share_a_chart_only_when_there_are_several() -> None:
    keys = ["loss", "rank0/acc", "rank1/acc", "rank0/lr", "rank10/acc"]

    assert chart_specs(keys, per_rank=True) == [
        ChartSpec("loss", (("loss", "loss"),)),
        ChartSpec(
            "acc (per rank)",
            (("rank0", "rank0/acc"), ("rank1", "rank1/acc"), ("rank10", "rank10/acc")),
        ),
        ChartSpec("rank0/lr", (("rank0/lr", "rank0/lr"),)),
    ]
    assert [s.title for s in chart_specs(keys, per_rank=False)] == keys


RUNS = [
    {
        "run_id": "a" * 32,
        "run_name": "first",
        "status": "FINISHED",
        "params": {"lr": "0.1", "opt": "adam"},
        "metrics": {"loss": 0.5},
    },
    {
        "run_id": "b" * 32,
        "run_name": "second",
        "status": "FAILED",
        "params": {"lr": "0.2", "opt": "sgd"},
        "metrics": {"loss": "NaN"},
    },
    {
        "run_id": "c" * 32,
        "run_name": "",
        "status": "FINISHED",
        "params": {"lr": "0.3"},
        "metrics": {"loss": 0.25},
    },
]


def test_the_comparison_table_has_a_column_per_run() -> None:
    frame = compare_frame(RUNS)

    assert list(frame.columns) == [
        "",
        "first (aaaaaa)",
        "second (bbbbbb)",
        "cccccccc (cccccc)",
    ]
    assert list(frame[""]) == ["status", "params.lr", "params.opt", "metrics.loss"]
    assert list(frame["cccccccc (cccccc)"]) == ["FINISHED", "0.3", "", "0.25"]


def test_parallel_coordinates_leave_out_runs_without_the_metric() -> None:
    figure = parallel_coordinates(RUNS, ["lr", "opt"], "loss")

    lr, opt, loss = figure.data[0].dimensions
    assert list(lr.values) == [0.1, 0.3]
    # A text param becomes categories, a run without it shows "—".
    assert list(opt.ticktext) == ["adam", "—"]
    assert list(loss.values) == [0.5, 0.25]


def test_the_scatter_puts_a_point_per_run() -> None:
    figure = param_scatter(RUNS, "lr", "loss")

    assert list(figure.data[0].x) == [0.1, 0.3]
    assert list(figure.data[0].y) == [0.5, 0.25]
    assert figure.layout.xaxis.title.text == "params.lr"


def test_artifacts_are_previewed_by_extension_or_known_name() -> None:
    assert preview_kind("plots/roc.PNG") == "image"
    assert preview_kind("model/MLmodel") == "text"
    assert preview_kind("metrics.json") == "json"
    assert preview_kind("data/part.parquet") == "table"
    assert preview_kind("model/model.pkl") is None
    frame = read_table("t.tsv", b"a\tb\n1\t2\n")
    assert frame.to_dict("records") == [{"a": 1, "b": 2}]


def test_folders_include_their_parents() -> None:
    paths = ["a.txt", "model/data/w.bin", "model/MLmodel", "plots/x.png"]
    assert folders_of(paths) == ["model", "model/data", "plots"]
