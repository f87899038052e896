"""The fluent ``mlflow`` API, unchanged, against runstream."""

from __future__ import annotations

from pathlib import Path

import httpx
import mlflow
from mlflow import MlflowClient


def test_fluent_run_end_to_end(tracking_uri: str, tmp_path: Path) -> None:
    mlflow.set_experiment("fluent")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello from the run\n")
    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "sub").mkdir()
    (folder / "sub" / "b.txt").write_text("bb")

    with mlflow.start_run(run_name="first") as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"layers": 4, "activation": "relu"})
        for step in range(10):
            mlflow.log_metric("loss", 1 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=9)
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev"})
        mlflow.log_artifact(str(notes))
        mlflow.log_artifact(str(notes), artifact_path="docs")
        mlflow.log_artifacts(str(folder), artifact_path="plots")
        mlflow.log_text("some text", "texts/a.txt")
        mlflow.log_dict({"a": 1}, "config.json")
    run_id = run.info.run_id

    finished = mlflow.get_run(run_id)
    assert finished.info.status == "FINISHED"
    assert finished.info.end_time is not None
    assert (
        finished.info.experiment_id
        == mlflow.get_experiment_by_name("fluent").experiment_id
    )
    assert finished.data.params == {"lr": "0.01", "layers": "4", "activation": "relu"}
    assert finished.data.metrics == {"loss": 0.1, "acc": 0.9, "f1": 0.8}
    assert finished.data.tags["team"] == "vision"
    assert finished.data.tags["stage"] == "dev"
    assert finished.data.tags["mlflow.runName"] == "first"

    client = MlflowClient()
    top = {(f.path, f.is_dir) for f in client.list_artifacts(run_id)}
    assert top == {
        ("notes.txt", False),
        ("config.json", False),
        ("docs", True),
        ("plots", True),
        ("texts", True),
    }
    assert [f.path for f in client.list_artifacts(run_id, "plots/sub")] == [
        "plots/sub/b.txt"
    ]
    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="plots", dst_path=str(tmp_path / "dl")
    )
    assert (Path(local) / "sub" / "b.txt").read_text() == "bb"
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/texts/a.txt") == "some text"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config.json") == {"a": 1}

    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(10))


def test_files_logged_by_mlflow_are_in_runstreams_artifacts(
    tracking_uri: str, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("indexed\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(notes), artifact_path="docs")

    run_id = run.info.run_id
    listing = httpx.get(f"{tracking_uri}/api/v1/runs/{run_id}/artifacts").json()
    assert [f["path"] for f in listing["files"]] == ["docs/notes.txt"]
    body = httpx.get(f"{tracking_uri}/api/v1/runs/{run_id}/artifacts/docs/notes.txt")
    assert body.text == "indexed\n"


def test_search_runs_as_a_dataframe(tracking_uri: str) -> None:
    mlflow.set_experiment("frames")
    for lr in (0.1, 0.01, 0.001):
        with mlflow.start_run():
            mlflow.log_param("lr", lr)
            mlflow.log_metric("loss", lr * 10)

    frame = mlflow.search_runs(
        filter_string="metrics.loss < 0.5", order_by=["metrics.loss ASC"]
    )
    assert list(frame["params.lr"]) == ["0.001", "0.01"]
    assert list(frame["metrics.loss"]) == [0.01, 0.1]
    assert set(frame["status"]) == {"FINISHED"}

    runs = mlflow.search_runs(filter_string="params.lr = '0.1'", output_format="list")
    assert [r.data.metrics["loss"] for r in runs] == [1.0]


def test_nested_runs_and_failure(tracking_uri: str) -> None:
    mlflow.set_experiment("nested")
    with mlflow.start_run(run_name="parent") as parent:
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("x", 1)
    try:
        with mlflow.start_run(run_name="broken") as broken:
            raise RuntimeError("boom")
    except RuntimeError:
        pass

    children = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        output_format="list",
    )
    assert [r.info.run_id for r in children] == [child.info.run_id]
    assert mlflow.get_run(broken.info.run_id).info.status == "FAILED"


def test_log_input_dataset(tracking_uri: str) -> None:
    import pandas as pd

    frame = pd.DataFrame({"x": [1, 2, 3], "y": [2, 4, 6]})
    dataset = mlflow.data.from_pandas(frame, name="doubles", targets="y")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")

    inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest) for i in inputs] == [
        ("doubles", dataset.digest)
    ]
    assert {(t.key, t.value) for t in inputs[0].tags} == {
        ("mlflow.data.context", "training")
    }
