"""A live runstream API for the official ``mlflow`` client, served by uvicorn in a
thread over ``create_app`` with the projection consumer running, so every write
goes through the log and is read back from the projections."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator

import mlflow
import pytest
import uvicorn
from mlflow import MlflowClient

import runstream
from runstream.api.app import create_app
from runstream.consumers.service import ProjectionService


@pytest.fixture
def tracking_uri(
    service: ProjectionService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The URL of a runstream API the mlflow client is pointed at."""
    service.start()
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
            raise RuntimeError("the runstream API did not start within 10 s")
        time.sleep(0.02)

    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    # An error answer should fail the test at once, not after minutes of retries.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    mlflow.set_tracking_uri(url)
    yield url

    while mlflow.active_run() is not None:
        mlflow.end_run()
    # The fluent API remembers the active experiment per process; the next test
    # talks to a fresh server.
    mlflow.tracking.fluent._active_experiment_id = None
    for variable in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        os.environ.pop(variable, None)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def client(tracking_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri)


@pytest.fixture(autouse=True)
def default_experiment() -> Iterator[None]:
    """The SDK keeps the active experiment per process; put the default back."""
    yield
    runstream.set_experiment(experiment_id="0")
