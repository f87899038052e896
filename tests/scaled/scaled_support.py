"""Helpers for the scaled-mode tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService

T = TypeVar("T")
HERE = Path(__file__).parent


def wait_for(check: Callable[[], T], timeout_s: float, what: str) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def point_count(store: ClickHouseStore, run_id: str) -> int:
    (row,) = store.query(
        f"SELECT count() AS n FROM {store.table('metrics')} FINAL "
        "WHERE run_id = {run:String}",
        {"run": run_id},
    )
    return int(row["n"])


def project_until(
    service: ProjectionService, done: Callable[[], bool], timeout_s: float = 60
) -> None:
    """Run the service's consumer in this thread until ``done()``."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "projection did not catch up in time"
        service.runner.run_once(timeout_s=0.5)


def summary(chdb_path: Path, database: str, run_ids: list[str]) -> dict[str, Any]:
    """What a chDB folder holds for some runs, read in a process of its own
    (chDB allows one data folder per process, and the tests have theirs)."""
    done = subprocess.run(
        [sys.executable, str(HERE / "inspect_store.py"), str(chdb_path), database,
         *run_ids],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found
