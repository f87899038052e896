"""``MlflowClient`` against runstream: experiments, runs, logging and reads."""

from __future__ import annotations

import math

import httpx
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType

from runstream.api.mlflow.writes import PROJECTION_HEADER


def test_experiment_lifecycle(client: MlflowClient) -> None:
    experiment_id = client.create_experiment("vision", tags={"team": "cv"})

    experiment = client.get_experiment(experiment_id)
    assert experiment.name == "vision"
    assert experiment.lifecycle_stage == "active"
    assert experiment.tags == {"team": "cv"}
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment_id}"
    assert client.get_experiment_by_name("vision").experiment_id == experiment_id
    assert client.get_experiment_by_name("no such experiment") is None

    client.set_experiment_tag(experiment_id, "owner", "ana")
    client.delete_experiment_tag(experiment_id, "team")
    assert client.get_experiment(experiment_id).tags == {"owner": "ana"}

    client.rename_experiment(experiment_id, "vision-v2")
    assert client.get_experiment(experiment_id).name == "vision-v2"
    assert client.get_experiment_by_name("vision") is None

    run = client.create_run(experiment_id)
    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    client.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_default_experiment_exists(client: MlflowClient) -> None:
    default = client.get_experiment("0")
    assert default.name == "Default"
    assert client.get_experiment_by_name("Default").experiment_id == "0"


def test_search_experiments(client: MlflowClient) -> None:
    for name in ("exp-a", "exp-b", "other"):
        client.create_experiment(name)
    client.delete_experiment(client.get_experiment_by_name("exp-b").experiment_id)

    names = {
        e.name for e in client.search_experiments(filter_string="name LIKE 'exp-%'")
    }
    assert names == {"exp-a"}
    every = client.search_experiments(
        view_type=ViewType.ALL, filter_string="name LIKE 'exp-%'"
    )
    assert {e.name for e in every} == {"exp-a", "exp-b"}

    first = client.search_experiments(max_results=2, order_by=["name ASC"])
    assert [e.name for e in first] == ["Default", "exp-a"]
    rest = client.search_experiments(
        max_results=2, order_by=["name ASC"], page_token=first.token
    )
    assert [e.name for e in rest] == ["other"]
    assert rest.token is None


def test_run_lifecycle(client: MlflowClient) -> None:
    experiment_id = client.create_experiment("runs")
    run = client.create_run(
        experiment_id, run_name="bright-otter", tags={"team": "nlp"}, start_time=1000
    )
    run_id = run.info.run_id
    assert run.info.status == "RUNNING"
    assert run.info.artifact_uri == (
        f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
    )

    got = client.get_run(run_id)
    assert got.info.run_name == "bright-otter"
    assert got.info.start_time == 1000
    assert got.data.tags == {"team": "nlp", "mlflow.runName": "bright-otter"}

    client.update_run(run_id, name="calm-heron")
    assert client.get_run(run_id).info.run_name == "calm-heron"
    assert client.get_run(run_id).data.tags["mlflow.runName"] == "calm-heron"

    client.set_terminated(run_id, status="FAILED", end_time=5000)
    ended = client.get_run(run_id).info
    assert (ended.status, ended.end_time) == ("FAILED", 5000)

    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_logging_reads_back(client: MlflowClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "lr", 0.01)
    client.log_metric(run_id, "loss", 0.5, step=1, timestamp=100)
    client.log_metric(run_id, "loss", 0.25, step=2, timestamp=200)
    client.log_metric(run_id, "odd", math.nan, step=0)
    client.set_tag(run_id, "stage", "dev")
    client.set_tag(run_id, "gone", "soon")
    client.delete_tag(run_id, "gone")

    data = client.get_run(run_id).data
    assert data.params == {"lr": "0.01"}
    assert data.metrics["loss"] == 0.25
    assert math.isnan(data.metrics["odd"])
    assert data.tags["stage"] == "dev"
    assert "gone" not in data.tags

    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (1, 0.5, 100),
        (2, 0.25, 200),
    ]


def test_log_batch_then_history_reads_the_write(client: MlflowClient) -> None:
    run_id = client.create_run("0").info.run_id
    metrics = [Metric("loss", 1.0 / (i + 1), 1_000 + i, i) for i in range(1000)]
    client.log_batch(
        run_id,
        metrics=metrics,
        params=[Param("batch", "32")],
        tags=[RunTag("mode", "batch")],
    )
    # No waiting and no retry: the write answered only once it was projected.
    history = client.get_metric_history(run_id, "loss")
    assert len(history) == 1000
    assert history[-1].step == 999
    run = client.get_run(run_id)
    assert run.data.params == {"batch": "32"}
    assert run.data.tags["mode"] == "batch"


def test_metric_history_pages(client: MlflowClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.log_batch(run_id, metrics=[Metric("x", i, 10 + i, i) for i in range(5)])
    store = client._tracking_client.store

    pages = []
    token = None
    while True:
        page = store.get_metric_history(run_id, "x", max_results=2, page_token=token)
        pages.append([m.step for m in page])
        token = page.token
        if token is None:
            break
    assert pages == [[0, 1], [2, 3], [4]]


def test_search_runs(client: MlflowClient) -> None:
    experiment_id = client.create_experiment("search")
    for i, (lr, team) in enumerate([("0.1", "a"), ("0.01", "b"), ("0.001", "a")]):
        run_id = client.create_run(experiment_id, run_name=f"run{i}").info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric("loss", float(i), 0, 0)],
            params=[Param("lr", lr)],
            tags=[RunTag("team", team)],
        )

    found = client.search_runs(
        [experiment_id],
        filter_string="tags.team = 'a' AND metrics.loss >= 0",
        order_by=["metrics.loss DESC"],
    )
    assert [r.info.run_name for r in found] == ["run2", "run0"]
    assert found[0].data.params == {"lr": "0.001"}

    by_param = client.search_runs([experiment_id], "params.lr = '0.01'")
    assert [r.info.run_name for r in by_param] == ["run1"]

    first = client.search_runs(
        [experiment_id], max_results=2, order_by=["attributes.run_name"]
    )
    rest = client.search_runs(
        [experiment_id],
        max_results=2,
        order_by=["attributes.run_name"],
        page_token=first.token,
    )
    assert [r.info.run_name for r in [*first, *rest]] == ["run0", "run1", "run2"]


def test_writes_say_they_were_applied(tracking_uri: str) -> None:
    answer = httpx.post(
        f"{tracking_uri}/api/2.0/mlflow/experiments/create", json={"name": "hdr"}
    )
    assert answer.status_code == 200
    assert answer.headers[PROJECTION_HEADER] == "applied"


def test_ajax_prefix_serves_the_same_api(tracking_uri: str) -> None:
    answer = httpx.get(
        f"{tracking_uri}/ajax-api/2.0/mlflow/experiments/get",
        params={"experiment_id": "0"},
    )
    assert answer.status_code == 200
    assert answer.json()["experiment"]["name"] == "Default"


def test_bulk_interval_samples_steps(client: MlflowClient, tracking_uri: str) -> None:
    run_ids = [client.create_run("0").info.run_id for _ in range(2)]
    for run_id in run_ids:
        client.log_batch(run_id, metrics=[Metric("m", i, i, i) for i in range(100)])

    answer = httpx.get(
        f"{tracking_uri}/api/2.0/mlflow/metrics/get-history-bulk-interval",
        params={"run_ids": run_ids, "metric_key": "m", "max_results": 10},
    ).json()["metrics"]
    steps = sorted({m["step"] for m in answer})
    assert len(steps) == 10 and steps[0] == 0 and steps[-1] == 99
    assert {m["run_id"] for m in answer} == set(run_ids)

    window = httpx.get(
        f"{tracking_uri}/api/2.0/mlflow/metrics/get-history-bulk-interval",
        params={
            "run_ids": run_ids[:1],
            "metric_key": "m",
            "start_step": 10,
            "end_step": 12,
        },
    ).json()["metrics"]
    assert [m["step"] for m in window] == [10, 11, 12]
