"""Runs left open when a process ends: FINISHED on a clean exit, FAILED after an
uncaught exception, KILLED on SIGTERM (what a scheduler sends to stop a job)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import runstream

START = """
import os, signal, runstream
run = runstream.start_run()
print(run.info.run_id, flush=True)
runstream.log_metric("x", 1.0)
"""


@pytest.mark.parametrize(
    ("ending", "returncode", "status"),
    [
        ("", 0, "FINISHED"),
        ("raise RuntimeError('boom')", 1, "FAILED"),
        ("os.kill(os.getpid(), signal.SIGTERM)", -signal.SIGTERM, "KILLED"),
    ],
)
def test_how_the_process_ended_sets_the_status(
    log_path: Path,
    synced: Callable[[], None],
    ending: str,
    returncode: int,
    status: str,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(START) + ending],
        env={**os.environ, "RUNSTREAM_TRACKING_URI": str(log_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == returncode, done.stderr
    run_id = done.stdout.split()[0]
    synced()
    run = runstream.get_run(run_id)
    assert run.info.status == status
    assert run.data.metrics == {"x": 1.0}
