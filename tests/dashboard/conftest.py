"""A live query API for the dashboard tests, served by uvicorn in a thread.

The dashboard reads only through HTTP, so these tests drive it against the real
``create_app`` over a real socket, with data logged by the SDK and projected.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import runstream
from runstream.consumers.service import ProjectionService
from runstream.tracking import RunInfo

APP_PATH = str(Path(__file__).parents[2] / "dashboard" / "app.py")
# The first script run imports pandas, plotly and the app's modules.
RUN_TIMEOUT_S = 60


@pytest.fixture
def unreachable_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """A URL where nothing listens; RUNSTREAM_API_URL points at it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("RUNSTREAM_API_URL", url)
    return url


@pytest.fixture
def open_page() -> Callable[..., AppTest]:
    """Run the dashboard script once with these query parameters, e.g.
    ``open_page(run=run_id)``; the AppTest can then be driven further."""

    def open_with(**query_params: str) -> AppTest:
        at = AppTest.from_file(APP_PATH, default_timeout=RUN_TIMEOUT_S)
        at.query_params.update(query_params)
        return at.run()

    return open_with


@pytest.fixture
def finished_run(log_path: Path, service: ProjectionService, tmp_path: Path) -> RunInfo:
    """A finished run with params, tags, a long metric, a per-rank metric with a
    slash and a NaN in it, and one artifact; projected and ready to read."""
    runstream.set_experiment("dash")
    with runstream.start_run(run_name="bright-otter") as run:
        runstream.log_params({"alpha": 0.5, "optimizer": "adam"})
        runstream.set_tag("team", "vision")
        for step in range(500):
            runstream.log_metric("loss", 1.0 / (step + 1), step=step)
        for step in range(5):
            value = math.nan if step == 2 else float(step)
            runstream.log_metric("rank0/loss", value, step=step)
        artifact = tmp_path / "notes.txt"
        artifact.write_text("hello from the run\n")
        runstream.log_artifact(artifact, artifact_path="docs")
    runstream.flush()
    service.catch_up()
    return run.info
