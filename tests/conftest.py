"""Shared fixtures.

chDB allows one engine per process, so the whole test session shares one chDB
folder and each test gets a database of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pytest
from live_api import serve_api
from realservers import Server
from realservers import start as start_server

import runstream
from runstream.blobs import LocalBlobStore
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.projector import Projector
from runstream.consumers.runner import ProjectionRunner
from runstream.consumers.service import ProjectionService
from runstream.log import SqliteEventLog
from runstream.settings import load_settings


@pytest.fixture(scope="session")
def clickhouse_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    path = tmp_path_factory.mktemp("chdb")
    client = clickhouse_connect.get_client(interface="chdb", path=str(path))
    yield client
    client.close()


@pytest.fixture
def store(clickhouse_client: object) -> Iterator[ClickHouseStore]:
    database = f"test_{uuid.uuid4().hex[:12]}"
    store = ClickHouseStore(clickhouse_client, database)
    store.create_tables()
    yield store
    store.command(f"DROP DATABASE IF EXISTS {database}")


@pytest.fixture
def log_path(tmp_path: Path) -> Iterator[Path]:
    """A fresh embedded log that the SDK writes to for this test."""
    path = tmp_path / "log.sqlite"
    runstream.set_tracking_uri(path)
    yield path
    while runstream.active_run() is not None:
        runstream.end_run()
    runstream.flush()


@pytest.fixture
def service(
    tmp_path: Path, log_path: Path, store: ClickHouseStore
) -> Iterator[ProjectionService]:
    """A projection service over this test's log and database, not yet started:
    call ``service.catch_up()`` to apply what the SDK wrote."""
    settings = load_settings(home=tmp_path, tracking_uri=str(log_path))
    log = SqliteEventLog(log_path, partitions=settings.partitions)
    blobs = LocalBlobStore(tmp_path / "artifacts")
    runner = ProjectionRunner(log, Projector(store, blobs), "test-group")
    svc = ProjectionService(settings, log, store, blobs, runner)
    yield svc
    svc.stop()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real Kafka broker shared by the session (deploy/dev/kafka.sh); tests
    keep apart by topic names, consumer groups and run ids."""
    broker = start_server("kafka", tmp_path_factory.mktemp("kafka"))
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def minio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real MinIO server shared by the session (deploy/dev/minio.sh)."""
    server = start_server("minio", tmp_path_factory.mktemp("minio"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def default_experiment() -> Iterator[None]:
    """The SDK keeps the active experiment per process; put the default back so a
    test that sets one does not move another test's runs."""
    yield
    runstream.set_experiment(experiment_id="0")


@pytest.fixture
def api_url(
    service: ProjectionService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The URL of a query API over ``service``; RUNSTREAM_API_URL points at it."""
    with serve_api(service) as url:
        monkeypatch.setenv("RUNSTREAM_API_URL", url)
        yield url
