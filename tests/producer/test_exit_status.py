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


SPAWNS_A_WORKER = """
import multiprocessing, time, runstream

def resume(run_id):
    runstream.start_run(run_id=run_id)
    runstream.log_metrics({"worker_loss": 0.5, "worker_accuracy": 0.9}, step=1)
    runstream.flush()

if __name__ == "__main__":
    run = runstream.start_run()
    runstream.flush()
    worker = multiprocessing.get_context("spawn").Process(
        target=resume, args=(run.info.run_id,)
    )
    started = time.monotonic()
    worker.start()
    worker.join()
    print(run.info.run_id, worker.exitcode, time.monotonic() - started, flush=True)
"""


def test_a_spawned_worker_resuming_a_run_exits_promptly(
    tmp_path: Path, log_path: Path, synced: Callable[[], None]
) -> None:
    script = tmp_path / "spawns.py"
    script.write_text(textwrap.dedent(SPAWNS_A_WORKER))
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "RUNSTREAM_TRACKING_URI": str(log_path)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    run_id, exitcode, seconds = done.stdout.split()
    assert exitcode == "0", done.stderr
    # The worker's exit ends its run before the sender closes, not 60 s after.
    assert float(seconds) < 15, done.stderr
    synced()
    run = runstream.get_run(run_id)
    assert run.data.metrics == {"worker_loss": 0.5, "worker_accuracy": 0.9}
    assert run.info.status == "FINISHED"
