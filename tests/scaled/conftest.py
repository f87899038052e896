"""Fixtures for the scaled mode: a projection service on real Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from realservers import Server

import runstream
from runstream.blobs import LocalBlobStore
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.projector import Projector
from runstream.consumers.runner import ProjectionRunner
from runstream.consumers.service import ProjectionService
from runstream.log import open_log
from runstream.settings import load_settings


@pytest.fixture
def kafka_uri(kafka_broker: Server) -> Iterator[str]:
    """The SDK of this test process writes to the session's Kafka broker."""
    uri = f"kafka://{kafka_broker.address}"
    runstream.set_tracking_uri(uri)
    yield uri
    while runstream.active_run() is not None:
        runstream.end_run()
    runstream.flush()


@pytest.fixture
def kafka_service_factory(
    tmp_path: Path, store: ClickHouseStore
) -> Iterator[Callable[[str], ProjectionService]]:
    """Makes projection services on a Kafka log, each reading as a group of its
    own into this test's database."""
    made: list[ProjectionService] = []

    def make(uri: str) -> ProjectionService:
        settings = load_settings(home=tmp_path, tracking_uri=uri)
        log = open_log(uri, settings.partitions)
        blobs = LocalBlobStore(tmp_path / "artifacts")
        group = f"test-{uuid.uuid4().hex[:8]}"
        runner = ProjectionRunner(log, Projector(store, blobs), group)
        made.append(ProjectionService(settings, log, store, blobs, runner))
        return made[-1]

    yield make
    for service in made:
        service.stop()
        service.runner.consumer.close()
        service.log.close()


@pytest.fixture
def kafka_service(
    kafka_uri: str, kafka_service_factory: Callable[[str], ProjectionService]
) -> ProjectionService:
    """A projection service reading the session's broker as a group of its own."""
    return kafka_service_factory(kafka_uri)
