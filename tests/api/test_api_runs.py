import math
import time

from fastapi.testclient import TestClient

import runstream
from runstream.consumers.service import ProjectionService


def test_run_has_params_tags_and_latest_metrics(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run(run_name="baseline") as run:
        runstream.log_params({"alpha": 0.5, "layers": 3})
        runstream.set_tag("team", "vision")
        runstream.set_tag("scratch", "yes")
        runstream.delete_tag("scratch")
        # "Latest" is the largest (step, timestamp), not the last one logged.
        runstream.log_metric("loss", 0.1, step=5, timestamp=1_000)
        runstream.log_metric("loss", 0.9, step=3, timestamp=2_000)
        runstream.log_metric("acc", 0.7, step=7, timestamp=1_000)
        runstream.log_metric("acc", 0.8, step=7, timestamp=2_000)
        runstream.log_metric("rank0/loss", 2.5, step=1)
    service.catch_up()
    run_id = run.info.run_id

    response = client.get(f"/api/v1/runs/{run_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["run_id"] == run_id
    assert body["experiment_id"] == "0"
    assert body["run_name"] == "baseline"
    assert body["status"] == "FINISHED"
    assert body["start_time"] <= body["end_time"]
    assert body["parent_run_id"] is None
    assert body["lifecycle_stage"] == "active"
    assert body["user"]
    assert body["params"] == {"alpha": "0.5", "layers": "3"}
    assert body["tags"]["team"] == "vision"
    assert "scratch" not in body["tags"]
    assert body["tags"]["mlflow.runName"] == "baseline"
    assert body["metrics"] == {"loss": 0.1, "acc": 0.8, "rank0/loss": 2.5}


def test_child_run_names_its_parent(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run() as parent:
        with runstream.start_run(nested=True) as child:
            pass
    service.catch_up()

    body = client.get(f"/api/v1/runs/{child.info.run_id}").json()

    assert body["parent_run_id"] == parent.info.run_id


def test_unknown_run_is_404_naming_it(client: TestClient) -> None:
    response = client.get("/api/v1/runs/no-such-run")

    assert response.status_code == 404
    assert "no-such-run" in response.json()["detail"]


def test_non_finite_metrics_are_sent_as_strings(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run() as run:
        runstream.log_metric("nan", math.nan)
        runstream.log_metric("up", math.inf)
        runstream.log_metric("down", -math.inf)
        runstream.log_metric("fine", 1.5)
    service.catch_up()
    expected = {"nan": "NaN", "up": "Infinity", "down": "-Infinity", "fine": 1.5}

    one = client.get(f"/api/v1/runs/{run.info.run_id}")
    listed = client.get("/api/v1/runs")

    assert one.status_code == 200
    assert one.json()["metrics"] == expected
    assert listed.status_code == 200
    assert listed.json()["runs"][0]["metrics"] == expected


def test_runs_list_filters_by_experiment_newest_first(
    client: TestClient, service: ProjectionService
) -> None:
    started: dict[str, list[str]] = {"vision": [], "speech": []}
    experiment_ids = {}
    for name in ("vision", "speech", "vision"):
        experiment_ids[name] = runstream.set_experiment(name).experiment_id
        with runstream.start_run() as run:
            runstream.log_param("experiment", name)
            runstream.log_metric("loss", len(started[name]))
        started[name].append(run.info.run_id)
        time.sleep(0.005)  # start times are in ms; keep them apart
    service.catch_up()
    vision_id = experiment_ids["vision"]

    everything = client.get("/api/v1/runs").json()["runs"]
    vision = client.get("/api/v1/runs", params={"experiment_id": vision_id}).json()

    assert len(everything) == 3
    assert [r["run_id"] for r in vision["runs"]] == started["vision"][::-1]
    newest = vision["runs"][0]
    assert newest["experiment_id"] == vision_id
    assert newest["params"] == {"experiment": "vision"}
    assert newest["metrics"] == {"loss": 1.0}
    assert newest["tags"]["mlflow.runName"] == newest["run_name"]


def test_runs_list_limit(client: TestClient, service: ProjectionService) -> None:
    for _ in range(3):
        with runstream.start_run():
            pass
    service.catch_up()

    assert len(client.get("/api/v1/runs", params={"limit": 2}).json()["runs"]) == 2
    assert client.get("/api/v1/runs", params={"limit": 0}).status_code == 422
    assert client.get("/api/v1/runs", params={"limit": 10_001}).status_code == 422


def test_unknown_experiment_has_no_runs(client: TestClient) -> None:
    response = client.get("/api/v1/runs", params={"experiment_id": "nope"})

    assert response.json() == {"runs": []}


def test_a_search_with_a_field_it_does_not_know_is_refused_naming_it(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run():
        runstream.log_param("lr", "0.1")
    service.catch_up()
    # MLflow's Python argument is filter_string; ignoring it would search everything.
    body = {"experiment_ids": ["0"], "filter_string": "params.lr = '9'"}
    response = client.post("/api/v1/runs/search", json=body)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["type"] == "extra_forbidden"
    assert error["loc"] == ["body", "filter_string"]
    body = {"experiment_ids": ["0"], "filter": "params.lr = '9'"}
    assert client.post("/api/v1/runs/search", json=body).json()["runs"] == []
