"""The SDK's experiment and run surface, written as events and read back through
the query API: fluent functions and RunstreamClient alike."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import pytest

import runstream
from runstream import Metric, Param, RunstreamClient, RunTag
from runstream.errors import (
    FilterSyntaxError,
    InvalidInputError,
    NotFoundError,
    RunNotActiveError,
)

Sync = Callable[[], None]


def test_experiment_lifecycle_and_tags(synced: Sync) -> None:
    client = RunstreamClient()
    experiment_id = client.create_experiment("vision", tags={"team": "cv"})
    client.set_experiment_tag(experiment_id, "stage", "dev")
    client.set_experiment_tag(experiment_id, "scratch", "x")
    client.delete_experiment_tag(experiment_id, "scratch")
    synced()

    experiment = client.get_experiment(experiment_id)
    assert experiment.name == "vision"
    assert experiment.tags == {"team": "cv", "stage": "dev"}
    assert runstream.get_experiment_by_name("vision") == experiment
    assert runstream.get_experiment_by_name("no such") is None

    client.rename_experiment(experiment_id, "vision-2")
    client.delete_experiment(experiment_id)
    synced()
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert client.get_experiment_by_name("vision-2").experiment_id == experiment_id
    assert client.search_experiments(filter_string="name = 'vision-2'") == []
    deleted = client.search_experiments(view_type="DELETED_ONLY")
    assert [e.name for e in deleted] == ["vision-2"]

    client.restore_experiment(experiment_id)
    synced()
    found = runstream.search_experiments(filter_string="tags.team = 'cv'")
    assert [e.experiment_id for e in found] == [experiment_id]
    with pytest.raises(NotFoundError, match="experiment 'nope' not found"):
        client.get_experiment("nope")


def test_experiment_names_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="limit is 500"):
        runstream.create_experiment("x" * 501)
    with pytest.raises(InvalidInputError, match="cannot be deleted"):
        runstream.delete_experiment("0")


@pytest.mark.parametrize(
    "run_id",
    ["nope", "5840d1be9e744aed8ea7824ee9391d7X", "5840D1BE9E744AED8EA7824EE9391D7A"],
)
def test_resuming_an_id_runstream_never_made_is_refused(
    log_path: object, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInputError, match="32 lowercase hexadecimal"):
        runstream.start_run(run_id=run_id)
    monkeypatch.setenv("RUNSTREAM_RUN_ID", run_id)
    with pytest.raises(InvalidInputError, match="RUNSTREAM_RUN_ID"):
        runstream.start_run()
    assert runstream.active_run() is None


def test_runs_start_resume_nest_end_rename_delete_restore(synced: Sync) -> None:
    runstream.set_experiment("runs")
    with runstream.start_run(run_name="parent", description="notes") as parent:
        with runstream.start_run(nested=True, run_name="child") as child:
            runstream.log_metric("m", 1.0)
    with runstream.start_run(run_id=parent.info.run_id):
        runstream.log_metric("resumed", 2.0)
    client = RunstreamClient()
    client.update_run(child.info.run_id, name="renamed")
    synced()

    got = runstream.get_run(parent.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics == {"resumed": 2.0}
    assert got.data.tags["mlflow.note.content"] == "notes"
    kid = client.get_run(child.info.run_id)
    assert kid.info.run_name == "renamed"
    assert kid.data.tags["mlflow.runName"] == "renamed"
    assert kid.data.tags["mlflow.parentRunId"] == parent.info.run_id

    runstream.delete_run(child.info.run_id)
    synced()
    assert client.get_run(child.info.run_id).info.lifecycle_stage == "deleted"
    assert (
        runstream.search_runs(
            output_format="list", filter_string="run_name = 'renamed'"
        )
        == []
    )
    runstream.restore_run(child.info.run_id)
    synced()
    assert client.get_run(child.info.run_id).info.lifecycle_stage == "active"
    with pytest.raises(NotFoundError):
        client.get_run("0" * 32)


@pytest.mark.parametrize(
    ("raised", "status"),
    [(None, "FINISHED"), (ValueError, "FAILED"), (KeyboardInterrupt, "KILLED")],
)
def test_end_status_follows_how_the_block_ended(
    synced: Sync, raised: type[BaseException] | None, status: str
) -> None:
    with pytest.raises(raised) if raised else _nothing():
        with runstream.start_run() as run:
            if raised:
                raise raised()
    synced()
    assert runstream.get_run(run.info.run_id).info.status == status


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_client_runs_end_with_any_terminal_status(synced: Sync) -> None:
    client = RunstreamClient()
    run = client.create_run("0", run_name="by-client", tags={"k": "v"})
    client.log_metric(run.info.run_id, "loss", 0.5, step=3)
    client.set_terminated(run.info.run_id, "KILLED")
    synced()
    got = client.get_run(run.info.run_id)
    assert (got.info.status, got.info.run_name) == ("KILLED", "by-client")
    assert got.data.tags["k"] == "v"
    with pytest.raises(InvalidInputError, match="must be one of"):
        client.set_terminated(run.info.run_id, "DONE")


def test_params_metrics_tags_singly_and_in_batches(synced: Sync) -> None:
    with runstream.start_run() as run:
        rid = run.info.run_id
        runstream.log_param("lr", 0.1)
        runstream.log_params({"layers": 3})
        runstream.log_metric("loss", 1.0, step=0)
        runstream.log_metrics({"loss": 0.5, "acc": math.nan}, step=1)
        runstream.set_tag("a", 1)
        runstream.set_tags({"b": "two", "c": "gone"})
        runstream.delete_tag("c")
        runstream.log_batch(
            metrics=[Metric("acc", 0.9, 1_000, 2)],
            params=[Param("optimizer", "adam")],
            tags=[RunTag("d", "four")],
        )
    synced()
    got = runstream.get_run(rid)
    assert got.data.params == {"lr": "0.1", "layers": "3", "optimizer": "adam"}
    assert got.data.metrics == {"loss": 0.5, "acc": 0.9}
    assert {k: got.data.tags[k] for k in "abd"} == {"a": "1", "b": "two", "d": "four"}
    assert "c" not in got.data.tags
    history = runstream.get_metric_history(rid, "acc")
    assert [m.step for m in history] == [1, 2]
    assert math.isnan(history[0].value) and history[1].value == 0.9


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ({"metrics": [Metric("m", 1.0, 0)] * 1001}, "1001 metrics; the limit is 1000"),
        ({"params": [Param(f"p{i}", "v") for i in range(101)]}, "the limit is 100"),
        ({"tags": [RunTag(f"t{i}", "v") for i in range(101)]}, "101 tags"),
        ({"params": [Param("p", "x" * 6001)]}, "the limit is 6000"),
        ({"tags": [RunTag("t", "x" * 5001)]}, "the limit is 5000"),
        ({"metrics": [Metric("m", 1.0, -1)]}, ">= 0"),
        ({"metrics": [Metric("m", 1.0, 0, 2**63)]}, "int64"),
    ],
)
def test_batches_break_no_rule(log_path: object, batch: dict, message: str) -> None:
    with runstream.start_run() as run:
        with pytest.raises(InvalidInputError, match=message) as info:
            runstream.log_batch(**batch)
    assert run.info.run_id in str(info.value)


def test_ended_runs_refuse_more_logging(log_path: object) -> None:
    with runstream.start_run() as run:
        pass
    with pytest.raises(RunNotActiveError):
        runstream.log_param("late", 1, run_id=run.info.run_id)


def test_search_runs_gives_a_frame_or_runs(synced: Sync) -> None:
    runstream.set_experiment("frame")
    for i in range(3):
        with runstream.start_run(run_name=f"r{i}"):
            runstream.log_metric("acc", i / 10)
            runstream.log_param("i", i)
    synced()

    frame = runstream.search_runs(
        filter_string="metrics.acc > 0.05", order_by=["metrics.acc DESC"]
    )
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["run_name"]) == ["r2", "r1"]
    assert list(frame["metrics.acc"]) == [0.2, 0.1]
    assert list(frame["params.i"]) == ["2", "1"]
    assert str(frame["start_time"].dtype).startswith("datetime64")
    assert {"run_id", "experiment_id", "status", "tags.mlflow.runName"} <= set(frame)

    runs = runstream.search_runs(
        experiment_names=["frame"],
        output_format="list",
        max_results=2,
        order_by=["attributes.run_name"],
    )
    assert [r.info.run_name for r in runs] == ["r0", "r1"]

    client = RunstreamClient()
    first = client.search_runs([runs[0].info.experiment_id], max_results=2)
    second = client.search_runs(
        [runs[0].info.experiment_id], max_results=2, page_token=first.token
    )
    assert len(first) == 2 and len(second) == 1 and second.token is None

    with pytest.raises(FilterSyntaxError) as info:
        runstream.search_runs(filter_string="metrics.acc >> 1")
    assert info.value.position == 13
    assert "column 14" in str(info.value)
