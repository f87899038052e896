"""Fixtures for the scaled mode: a projection service on real Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
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
def kafka_service(
    tmp_path: Path, kafka_uri: str, store: ClickHouseStore
) -> Iterator[ProjectionService]:
    """A projection service reading the broker as a group of its own."""
    settings = load_settings(home=tmp_path, tracking_uri=kafka_uri)
    log = open_log(kafka_uri, settings.partitions)
    blobs = LocalBlobStore(tmp_path / "artifacts")
    group = f"test-{uuid.uuid4().hex[:8]}"
    runner = ProjectionRunner(log, Projector(store, blobs), group)
    service = ProjectionService(settings, log, store, blobs, runner)
    yield service
    service.stop()
    runner.consumer.close()
    log.close()
