"""The artifact proxy (``/api/2.0/mlflow-artifacts``): files the client sends
through it land in runstream's blob store, runs' files also in their index."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def test_put_get_list(tracking_uri: str, client: MlflowClient) -> None:
    run = client.create_run("0")
    root = f"{tracking_uri}{PROXY}/0/{run.info.run_id}/artifacts"

    put = httpx.put(f"{root}/data/table.csv", content=b"a,b\n1,2\n")
    assert put.status_code == 200
    assert httpx.get(f"{root}/data/table.csv").content == b"a,b\n1,2\n"
    listing = httpx.get(
        f"{tracking_uri}{PROXY}", params={"path": f"0/{run.info.run_id}/artifacts"}
    ).json()
    assert listing == {"files": [{"path": "data", "is_dir": True}]}

    index = httpx.get(f"{tracking_uri}/api/v1/runs/{run.info.run_id}/artifacts")
    assert [f["path"] for f in index.json()["files"]] == ["data/table.csv"]
    # And the tracking API's own listing of the run.
    files = client.list_artifacts(run.info.run_id, "data")
    assert [(f.path, f.file_size) for f in files] == [("data/table.csv", 8)]


def test_refusals(tracking_uri: str) -> None:
    missing = httpx.get(f"{tracking_uri}{PROXY}/0/nothing/here.txt")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    escaping = httpx.put(f"{tracking_uri}{PROXY}/a/%2E%2E/%2E%2E/etc", content=b"x")
    assert escaping.status_code in (400, 404)

    deleted = httpx.delete(f"{tracking_uri}{PROXY}/0/some/file.txt")
    assert deleted.status_code == 501
    assert deleted.json()["error_code"] == "NOT_IMPLEMENTED"


def test_multipart_upload(
    tracking_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1000")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", "4096")
    payload = os.urandom(10_000)  # three parts
    big = tmp_path / "weights.bin"
    big.write_bytes(payload)

    with mlflow.start_run() as run:
        mlflow.log_artifact(str(big), artifact_path="ckpt")

    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id,
        artifact_path="ckpt/weights.bin",
        dst_path=str(tmp_path / "dl"),
    )
    assert Path(local).read_bytes() == payload
    index = httpx.get(f"{tracking_uri}/api/v1/runs/{run.info.run_id}/artifacts")
    assert [(f["path"], f["size"]) for f in index.json()["files"]] == [
        ("ckpt/weights.bin", 10_000)
    ]
