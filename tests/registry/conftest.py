"""Registry fixtures: a client whose events the running consumer projects.

Registry calls wait until their event is projected, so the service's consumer
runs in its own thread here (``service.start()``) instead of ``catch_up()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_api import serve_api

import runstream
from runstream import context
from runstream.consumers.service import ProjectionService
from runstream.log import SqliteEventLog
from runstream.registry import RegistryClient
from runstream.registry.documents import BlobReader
from runstream.registry.writer import LogWriter
from runstream.settings import load_settings


@pytest.fixture
def running(service: ProjectionService) -> ProjectionService:
    service.start()
    return service


@pytest.fixture
def registry(running: ProjectionService, log_path: Path) -> Iterator[RegistryClient]:
    """A client writing to the test's log and reading the documents directly."""
    writer = LogWriter(lambda: SqliteEventLog(log_path), before_append=runstream.flush)
    yield RegistryClient(writer, BlobReader(running.blobs), wait_s=30, user="ana")
    writer.close()


@pytest.fixture
def api_url(
    running: ProjectionService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A live query API over the running service; the SDK reads through it."""
    with serve_api(running) as url:
        monkeypatch.setenv("RUNSTREAM_API_URL", url)
        monkeypatch.setenv("RUNSTREAM_REGISTRY_WAIT_S", "30")
        monkeypatch.setattr(context.state, "settings", load_settings())
        yield url


@pytest.fixture(autouse=True)
def default_experiment() -> Iterator[None]:
    """The SDK keeps the active experiment per process; put the default back."""
    yield
    runstream.set_experiment(experiment_id="0")
