"""A live query API for the SDK's read calls, served by uvicorn in a thread.

The SDK reads only over HTTP (RUNSTREAM_API_URL), so these tests write with the SDK,
project with ``service.catch_up()`` and read back through a real socket.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn

import runstream
from runstream.api.app import create_app
from runstream.consumers.service import ProjectionService


@pytest.fixture(autouse=True)
def default_experiment() -> Iterator[None]:
    """The SDK keeps the active experiment per process; put the default back."""
    yield
    runstream.set_experiment(experiment_id="0")


@pytest.fixture
def api_url(
    service: ProjectionService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The URL of a query API over ``service``; RUNSTREAM_API_URL points at it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(service), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the query API did not start within 10 s")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("RUNSTREAM_API_URL", url)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def synced(service: ProjectionService, api_url: str) -> Callable[[], None]:
    """Call it to put everything logged so far on the log and project it."""

    def sync() -> None:
        runstream.flush()
        service.catch_up()

    return sync
