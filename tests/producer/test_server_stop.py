"""SIGTERM, what timeout, systemd and docker send, stops ``runstream server`` as
Ctrl-C does: the API, the consumer and the dashboard, whose process lives in a
session of its own and would otherwise keep its port."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether the next server could bind ``port``, which it does as this does."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    output, _ = proc.communicate()
    raise AssertionError(f"{url} did not answer; runstream server said:\n{output}")


def test_sigterm_stops_the_api_the_consumer_and_the_dashboard(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    # Without streamlit there is no dashboard to leave behind; the API part
    # still counts.
    dashboard = importlib.util.find_spec("streamlit") is not None
    command = [
        sys.executable, "-m", "runstream.cli", "server",
        "--home", str(tmp_path / "home"),
        "--port", str(port), "--dashboard-port", str(ui_port),
        "--dashboard" if dashboard else "--no-dashboard",
    ]  # fmt: skip
    env = {**os.environ, "RUNSTREAM_DASHBOARD_REFRESH_S": "1"}
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v1/health", proc)
        if dashboard:
            wait_for(f"http://127.0.0.1:{ui_port}/_stcore/health", proc)

        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 0, output
    assert "Traceback" not in output
    assert "runstream server stopping" in output, output
    assert "projection service stopped" in output
    assert "runstream server stopped" in output
    assert port_is_free(port)
    if dashboard:
        assert "dashboard stopped" in output, output
        assert port_is_free(ui_port), "the dashboard still holds its port"
