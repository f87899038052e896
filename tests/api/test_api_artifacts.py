from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import runstream
from runstream.blobs import artifact_key
from runstream.consumers.service import ProjectionService


@pytest.fixture
def run_id(tmp_path: Path, service: ProjectionService) -> str:
    """A run with three artifacts: model/weights.bin, model/config.json, notes.txt."""
    files = tmp_path / "files"
    files.mkdir()
    (files / "weights.bin").write_bytes(bytes(range(256)) * 40)
    (files / "config.json").write_text('{"layers": 3}')
    (files / "notes.txt").write_text("first try")
    with runstream.start_run() as run:
        runstream.log_artifact(files / "weights.bin", artifact_path="model")
        runstream.log_artifact(files / "config.json", artifact_path="model")
        runstream.log_artifact(files / "notes.txt")
    service.catch_up()
    return run.info.run_id


def test_list_artifacts(client: TestClient, run_id: str) -> None:
    body = client.get(f"/api/v1/runs/{run_id}/artifacts").json()

    assert body["run_id"] == run_id
    assert [f["path"] for f in body["files"]] == [
        "model/config.json",
        "model/weights.bin",
        "notes.txt",
    ]
    weights = body["files"][1]
    assert weights["size"] == 256 * 40
    assert len(weights["sha256"]) == 64


def test_list_artifacts_in_a_folder(client: TestClient, run_id: str) -> None:
    for folder in ("model", "model/"):
        response = client.get(
            f"/api/v1/runs/{run_id}/artifacts", params={"path": folder}
        )
        paths = [f["path"] for f in response.json()["files"]]
        assert paths == ["model/config.json", "model/weights.bin"]

    # A folder is a whole path part, not a string prefix.
    response = client.get(f"/api/v1/runs/{run_id}/artifacts", params={"path": "mod"})
    assert response.json()["files"] == []


def test_list_artifacts_of_unknown_run_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/runs/no-such-run/artifacts")

    assert response.status_code == 404
    assert "no-such-run" in response.json()["detail"]


def test_download_streams_the_same_bytes(
    client: TestClient, run_id: str, tmp_path: Path
) -> None:
    weights = client.get(f"/api/v1/runs/{run_id}/artifacts/model/weights.bin")
    config = client.get(f"/api/v1/runs/{run_id}/artifacts/model/config.json")

    assert weights.status_code == 200
    assert weights.content == (tmp_path / "files" / "weights.bin").read_bytes()
    assert weights.headers["content-type"] == "application/octet-stream"
    assert config.content == b'{"layers": 3}'
    assert config.headers["content-type"] == "application/json"


def test_download_of_unknown_artifact_is_404(client: TestClient, run_id: str) -> None:
    response = client.get(f"/api/v1/runs/{run_id}/artifacts/model/missing.bin")

    assert response.status_code == 404
    assert "model/missing.bin" in response.json()["detail"]


def test_download_of_artifact_missing_from_blob_store_is_404(
    client: TestClient, run_id: str, service: ProjectionService
) -> None:
    blob = service.blobs.root / artifact_key(run_id, "notes.txt")
    blob.unlink()

    response = client.get(f"/api/v1/runs/{run_id}/artifacts/notes.txt")

    assert response.status_code == 404
    assert "blob store" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "%2E%2E/%2E%2E/log.sqlite",
        "model/%2E%2E/%2E%2E/x",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
    ],
)
def test_download_refuses_traversal(client: TestClient, run_id: str, path: str) -> None:
    response = client.get(f"/api/v1/runs/{run_id}/artifacts/{path}")

    assert response.status_code == 400
    assert "'..'" in response.json()["detail"]


@pytest.mark.parametrize("folder", ["../other-run", "/etc", "model/../.."])
def test_list_refuses_traversal(client: TestClient, run_id: str, folder: str) -> None:
    response = client.get(f"/api/v1/runs/{run_id}/artifacts", params={"path": folder})

    assert response.status_code == 400
    assert folder in response.json()["detail"]
