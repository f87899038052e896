"""Unchanged MLflow code in its own process against `runstream server` in
another: only MLFLOW_TRACKING_URI points it at runstream."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "RUNSTREAM_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runstream.cli", "server", "--no-dashboard",
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{api}/api/v1/health").is_success:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError(f"runstream server did not start:\n{proc.stdout}")
        time.sleep(0.1)
    yield api
    proc.send_signal(signal.SIGINT)
    proc.wait(30)


def test_mlflow_example_runs_unchanged(server: str, tmp_path: Path) -> None:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")
    }
    env["MLFLOW_TRACKING_URI"] = server
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "mlflow_diabetes.py")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "runs found: 1" in done.stdout
    run_id = done.stdout.split("run_id: ")[1].strip()

    # runstream's own API and dashboard see the same run.
    run = httpx.get(f"{server}/api/v1/runs/{run_id}").json()
    assert run["status"] == "FINISHED"
    assert run["params"]["n_estimators"] == "20"
    assert run["metrics"]["test_mse"] > 0
    assert run["tags"]["data"] == "diabetes"
    files = httpx.get(f"{server}/api/v1/runs/{run_id}/artifacts").json()["files"]
    assert "estimator.html" in {f["path"] for f in files}
