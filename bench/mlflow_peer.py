"""The peer: ``mlflow server`` with its sqlite backend, in a virtual environment of
its own (made here on first use), driven by ``mlflow_workloads.py`` inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.common import free_port

MLFLOW_VERSION = "3.17.2"  # 3.18.0 does not install from this machine's index
ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".cache" / f"bench-mlflow-{MLFLOW_VERSION}"
WORKLOADS = Path(__file__).with_name("mlflow_workloads.py")


def ensure_venv() -> Path:
    """The peer's python, installing mlflow into its own venv the first time."""
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    if not marker.exists():
        print(f"installing mlflow=={MLFLOW_VERSION} into {VENV} (first run only)")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                f"mlflow=={MLFLOW_VERSION}",
            ],
            check=True,
        )
        marker.touch()
    return python


@contextmanager
def mlflow_server() -> Iterator[tuple[Path, str]]:
    """A fresh ``mlflow server`` on a free loopback port; yields (python, url)."""
    python = ensure_venv()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-") as folder:
        command = [
            str(VENV / "bin" / "mlflow"), "server",
            "--host", "127.0.0.1", "--port", str(port),
            "--backend-store-uri", f"sqlite:///{folder}/mlflow.db",
            "--default-artifact-root", f"{folder}/artifacts",
            "--workers", "1",
        ]  # fmt: skip
        server = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(f"{url}/health", server)
            yield python, url
        finally:
            server.terminate()
            server.wait(30)


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {server.returncode}")
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("mlflow server did not answer within 180 s")


def run_workload(python: Path, url: str, name: str, **sizes: int) -> dict[str, float]:
    """Run one workload in the peer's venv and return the figures it printed."""
    args = [str(python), str(WORKLOADS), name, "--uri", url]
    for key, value in sizes.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    env = {**os.environ, "MLFLOW_TRACKING_URI": url}
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"mlflow workload {name} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
