"""Artifact paths never leave their run's root: ``..``, absolute paths,
backslashes, NUL bytes and symbolic links are refused with a 400 (or
InvalidInputError in the SDK), on upload, listing and download alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from minio import Minio

import runstream
from runstream.api import create_app, queries
from runstream.blobs import BlobStore, LocalBlobStore, artifact_key
from runstream.blobs.s3 import S3BlobStore
from runstream.consumers.service import ProjectionService
from runstream.errors import InvalidInputError

HOSTILE_KEYS = ["../x", "a/../../x", "/etc/passwd", "a\\..\\x", "a/\x00b", ""]
# As they travel in a URL path: starlette decodes them before routing.
HOSTILE_URL_PATHS = ["%2E%2E/secret", "a/%2E%2E/%2E%2E/secret", "a%5C..%5Csecret"]
HOSTILE_URL_PATHS += ["a%00b", "/etc/passwd"]
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
RUN_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def client(service: ProjectionService) -> Iterator[TestClient]:
    with TestClient(create_app(service), raise_server_exceptions=False) as test:
        yield test


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    # Nothing listens there: a key must be refused before any request is made.
    return S3BlobStore(Minio("127.0.0.1:1", secure=False), "bucket", "prefix")


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_blob_stores_refuse_hostile_keys(blobs: BlobStore, key: str) -> None:
    with pytest.raises(InvalidInputError, match="relative path"):
        blobs.put(key, b"x")
    with pytest.raises(InvalidInputError):
        blobs.exists(key)
    with pytest.raises(InvalidInputError):
        next(iter(blobs.open_chunks(key)))
    if key:  # an empty prefix lists everything, as intended
        with pytest.raises(InvalidInputError):
            blobs.list(key)


def test_artifact_key_checks_the_run_id_too() -> None:
    with pytest.raises(InvalidInputError):
        artifact_key("..", "x")
    with pytest.raises(InvalidInputError):
        artifact_key("run", "../../other/artifacts/x")


def test_local_store_does_not_follow_links_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    store = LocalBlobStore(tmp_path / "blobs")
    store.put("run/artifacts/ok.txt", b"ok")
    folder = tmp_path / "blobs" / "run" / "artifacts"
    (folder / "link.txt").symlink_to(outside / "secret.txt")
    (tmp_path / "blobs" / "linked-run").symlink_to(outside)

    with pytest.raises(InvalidInputError, match="symbolic link"):
        store.exists("run/artifacts/link.txt")
    with pytest.raises(InvalidInputError, match="symbolic link"):
        b"".join(store.open_chunks("run/artifacts/link.txt"))
    with pytest.raises(InvalidInputError, match="symbolic link"):
        store.put("linked-run/planted.txt", b"x")
    assert not (outside / "planted.txt").exists()
    with pytest.raises(InvalidInputError, match="symbolic link"):
        store.list("linked-run")
    assert store.list("run") == [("run/artifacts/ok.txt", 2)]
    # A link that stays inside the store is served.
    (folder / "alias.txt").symlink_to(folder / "ok.txt")
    assert b"".join(store.open_chunks("run/artifacts/alias.txt")) == b"ok"


@pytest.mark.parametrize("path", HOSTILE_URL_PATHS)
def test_query_api_refuses_hostile_paths(client: TestClient, path: str) -> None:
    download = client.get(f"/api/v1/runs/{RUN_ID}/artifacts/{path}")
    assert download.status_code == 400, download.text
    assert "is refused" in download.json()["detail"]


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/etc", "a\\b", "a\x00b"])
def test_query_api_refuses_hostile_folders(client: TestClient, path: str) -> None:
    listing = client.get(f"/api/v1/runs/{RUN_ID}/artifacts", params={"path": path})
    assert listing.status_code == 400, listing.text
    assert "without '..' parts" in listing.json()["detail"]


@pytest.mark.parametrize("path", HOSTILE_URL_PATHS[:-1])
def test_mlflow_proxy_refuses_hostile_paths(client: TestClient, path: str) -> None:
    for method in ("GET", "PUT"):
        answer = client.request(method, f"{PROXY}/{path}", content=b"x")
        assert answer.status_code == 400, (method, answer.text)
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "is refused" in answer.json()["message"]


def test_mlflow_proxy_takes_absolute_paths_as_relative(
    client: TestClient, service: ProjectionService
) -> None:
    """As MLflow's client never sends one, a leading slash is dropped: the path
    stays below the proxy's own folder of the store."""
    assert client.get(f"{PROXY}//etc/hostname").status_code == 404
    assert client.put(f"{PROXY}//etc/planted", content=b"x").status_code == 200
    assert service.blobs.exists("mlflow-artifacts/etc/planted")
    assert not Path("/etc/planted").exists()


@pytest.mark.parametrize("path", ["../x", "a/../../x", "a\\b", "a\x00b"])
def test_mlflow_listing_refuses_hostile_paths(client: TestClient, path: str) -> None:
    listing = client.get(PROXY, params={"path": path})
    assert listing.status_code == 400, listing.text
    assert listing.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    ("folder", "name"),
    [("%2E%2E/%2E%2E", "f.bin"), ("a", ".."), ("a%5Cb", "f.bin"), ("a", "x\x00")],
)
def test_multipart_upload_refuses_hostile_targets(
    client: TestClient, folder: str, name: str
) -> None:
    created = client.post(
        f"/api/2.0/mlflow-artifacts/mpu/create/{folder}",
        json={"path": name, "num_parts": 1},
    )
    assert created.status_code == 400, created.text
    assert created.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_served_link_out_of_the_store_is_400(
    service: ProjectionService, client: TestClient, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    folder = tmp_path / "artifacts" / RUN_ID / "artifacts"
    folder.mkdir(parents=True)
    (folder / "leak.txt").symlink_to(secret)

    answer = client.get(f"{PROXY}/0/{RUN_ID}/artifacts/leak.txt")
    assert answer.status_code == 400, answer.text
    assert "symbolic link" in answer.json()["message"]
    assert "secret" not in answer.text.replace("secret.txt", "")


@pytest.mark.parametrize("artifact_path", ["../up", "a/../../up", "a\\b", "a\x00b"])
def test_sdk_refuses_hostile_artifact_paths(
    log_path: Path, tmp_path: Path, artifact_path: str
) -> None:
    source = tmp_path / "file.txt"
    source.write_text("x")
    with runstream.start_run():
        with pytest.raises(InvalidInputError, match="artifact key"):
            runstream.log_artifact(source, artifact_path=artifact_path)
        with pytest.raises(InvalidInputError, match="artifact key"):
            runstream.log_text("x", f"{artifact_path}/f.txt")


def test_log_artifacts_refuses_links_out_of_the_folder(
    service: ProjectionService, tmp_path: Path
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    folder = tmp_path / "outputs"
    (folder / "sub").mkdir(parents=True)
    (folder / "model.txt").write_text("weights")
    (folder / "sub" / "key").symlink_to(secret)

    with runstream.start_run() as run:
        with pytest.raises(InvalidInputError, match="sub/key") as raised:
            runstream.log_artifacts(folder)
        assert "nothing was logged" in str(raised.value)
        assert "id_rsa" not in str(raised.value)

        # A link that stays inside the folder is logged as the file it names.
        (folder / "sub" / "key").unlink()
        (folder / "sub" / "alias.txt").symlink_to(folder / "model.txt")
        runstream.log_artifacts(folder, artifact_path="out")
    runstream.flush()
    service.catch_up()

    files = queries.list_artifacts(service.store, run.info.run_id, None)
    assert sorted(f["path"] for f in files) == ["out/model.txt", "out/sub/alias.txt"]
