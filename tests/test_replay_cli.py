"""``runstream replay`` end to end: in its own process with no server, then through
a running ``runstream server``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import runstream

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runstream.cli", "replay", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_replay_locally_then_through_the_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RUNSTREAM_HOME": str(home), "RUNSTREAM_API_URL": api}
    runstream.set_tracking_uri(home / "log.sqlite")
    runstream.set_experiment("cli")
    with runstream.start_run(run_name="logged") as run:
        for step in range(1000):
            runstream.log_metric("loss", 1 / (step + 1), step=step)
    runstream.flush()
    runstream.set_experiment(experiment_id="0")

    # No server yet: the command opens the store itself.
    local = cli(env)
    assert local.returncode == 0, local.stderr
    assert "replaying in this process" in local.stdout
    assert "done: " in local.stdout and "1,000 points" in local.stdout
    assert "records read)" in local.stdout
    assert "events/s" in local.stderr  # the progress bar, whole off a terminal
    assert re.search(r"ETA \d+:\d\d:\d\d", local.stderr)
    snapshot = cli(env, "--into", "snap")
    assert snapshot.returncode == 0, snapshot.stderr

    server = subprocess.Popen(
        [sys.executable, "-m", "runstream.cli", "server", "--port", str(port),
         "--no-dashboard"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        run_url = f"{api}/api/v1/runs/{run.info.run_id}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(run_url).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        live = httpx.get(run_url).json()
        assert live["metrics"] == {"loss": 1 / 1000}
        assert httpx.get(run_url, params={"state": "snap"}).json() == live

        remote = cli(env, "--into", "snap", "--replace")
        assert remote.returncode == 0, remote.stderr
        assert f"replaying in the server at {api}" in remote.stdout
        refused = cli(env, "--into", "snap")
        assert refused.returncode == 1
        assert "exists already" in refused.stderr
        # The server owns the store; a CLI looking for it elsewhere is told so.
        elsewhere = {**env, "RUNSTREAM_API_URL": f"http://127.0.0.1:{free_port()}"}
        lost = cli(elsewhere)
        assert lost.returncode == 1
        assert "set RUNSTREAM_API_URL" in lost.stderr
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
