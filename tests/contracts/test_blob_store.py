"""The blob store contract, run against the local folder and a real MinIO."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from realservers import MINIO_PASSWORD, MINIO_USER

from runstream.blobs import BlobStore, LocalBlobStore, open_blob_store
from runstream.blobs.s3 import S3BlobStore
from runstream.errors import InvalidInputError, StoreError
from runstream.settings import S3Settings

PART = 5 << 20


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
        return
    server = request.getfixturevalue("minio_server")
    settings = S3Settings(
        endpoint=server.address,
        access_key=MINIO_USER,
        secret_key=MINIO_PASSWORD,
        part_size=PART,
    )
    # A fresh bucket each time also proves that a missing bucket is created.
    bucket = f"contract-{uuid.uuid4().hex[:12]}"
    yield S3BlobStore.open(f"s3://{bucket}/some/prefix", settings)


def read(blobs: BlobStore, key: str) -> bytes:
    return b"".join(blobs.open_chunks(key))


def test_put_then_read_back(blobs: BlobStore):
    blobs.put("run-1/artifacts/notes.txt", b"hello")
    assert blobs.exists("run-1/artifacts/notes.txt")
    assert read(blobs, "run-1/artifacts/notes.txt") == b"hello"
    blobs.put("run-1/artifacts/notes.txt", b"again")
    assert read(blobs, "run-1/artifacts/notes.txt") == b"again"


def test_a_missing_blob_does_not_exist_and_cannot_be_read(blobs: BlobStore):
    assert not blobs.exists("run-1/artifacts/none.txt")
    with pytest.raises(StoreError):
        read(blobs, "run-1/artifacts/none.txt")


def test_large_files_go_up_and_stream_back_in_chunks(blobs: BlobStore, tmp_path: Path):
    source = tmp_path / "model.bin"
    payload = bytes(range(256)) * ((2 * PART + 12345) // 256)
    source.write_bytes(payload)
    blobs.put_file("run-1/artifacts/model/model.bin", source)

    chunks = list(blobs.open_chunks("run-1/artifacts/model/model.bin"))
    assert len(chunks) > 1
    assert b"".join(chunks) == payload


def test_list_gives_keys_and_sizes_under_a_folder(blobs: BlobStore):
    blobs.put("run-1/artifacts/a.txt", b"a")
    blobs.put("run-1/artifacts/model/b.bin", b"bb")
    blobs.put("run-10/artifacts/c.txt", b"ccc")
    assert blobs.list("run-1") == [
        ("run-1/artifacts/a.txt", 1),
        ("run-1/artifacts/model/b.bin", 2),
    ]
    assert [key for key, _ in blobs.list("")] == [
        "run-1/artifacts/a.txt",
        "run-1/artifacts/model/b.bin",
        "run-10/artifacts/c.txt",
    ]
    assert blobs.list("run-2") == []


def test_keys_cannot_escape_the_root(blobs: BlobStore):
    for key in ("../x", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(InvalidInputError):
            blobs.put(key, b"x")


def test_large_uploads_to_s3_are_multipart(minio_server, tmp_path: Path):
    settings = S3Settings(
        endpoint=minio_server.address,
        access_key=MINIO_USER,
        secret_key=MINIO_PASSWORD,
        part_size=PART,
    )
    store = S3BlobStore.open(f"s3://multipart-{uuid.uuid4().hex[:8]}", settings)
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (2 * PART + 1))
    store.put_file("big.bin", source)
    etag = store.client.stat_object(store.bucket, "big.bin").etag
    assert etag is not None and etag.endswith("-3")  # S3's mark of three parts


def test_s3_locations_come_from_settings(minio_server, monkeypatch):
    monkeypatch.setenv("RUNSTREAM_S3_ENDPOINT", minio_server.address)
    monkeypatch.setenv("RUNSTREAM_S3_ACCESS_KEY", MINIO_USER)
    monkeypatch.setenv("RUNSTREAM_S3_SECRET_KEY", MINIO_PASSWORD)
    store = open_blob_store("s3://from-settings/artifacts")
    store.put("k", b"v")
    assert store.list("") == [("k", 1)]
    assert repr(store) == "S3BlobStore(s3://from-settings/artifacts)"


def test_wrong_s3_keys_say_what_to_check(minio_server):
    settings = S3Settings(
        endpoint=minio_server.address, access_key="nobody", secret_key="wrong"
    )
    with pytest.raises(StoreError, match="RUNSTREAM_S3_ENDPOINT, the access keys"):
        S3BlobStore.open("s3://any-bucket", settings)
