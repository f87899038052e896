"""Helpers the project tests share: the recorder project, Git commands, and a view
of what the projections hold for a run."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService

# A script the test projects run: it continues the project's run through the SDK
# and records what it was given, so a test can see both sides of the hand-over.
RECORD_SCRIPT = """\
import os, sys
import runstream

with runstream.start_run() as run:
    runstream.log_metric("answer", float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
    runstream.set_tag("argv", " ".join(sys.argv[1:]))
    runstream.set_tag("prefix", sys.prefix)
print("record.py ran in", run.info.run_id)
sys.exit(int(os.environ.get("RECORD_EXIT", "0")))
"""

MLPROJECT = """\
name: recorder
entry_points:
  main:
    parameters:
      answer: {type: float, default: 42}
      label: string
    command: "python record.py {answer} {label}"
  fail:
    command: "python record.py 1 && exit 3"
"""


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@dataclass
class Repo:
    """A local Git repository with the recorder project under ``proj/``: commit
    ``first`` (tagged v1) has default answer 1, ``second`` on main has 2, and
    branch ``feature`` has 3."""

    path: Path
    first: str
    second: str
    feature: str


class Recorded:
    """What the projections hold for a run, after applying the whole log."""

    def __init__(self, service: ProjectionService, store: ClickHouseStore) -> None:
        self.service = service
        self.store = store

    def _rows(self, table: str, columns: str, run_id: str) -> list[dict[str, Any]]:
        self.service.catch_up()
        return self.store.query(
            f"SELECT {columns} FROM {self.store.table(table)} FINAL "
            "WHERE run_id = {run_id:String}",
            {"run_id": run_id},
        )

    def run(self, run_id: str) -> dict[str, Any]:
        rows = self._rows(
            "runs", "status, experiment_id, end_time, parent_run_id", run_id
        )
        assert len(rows) == 1, rows
        return rows[0]

    def params(self, run_id: str) -> dict[str, str]:
        return {
            r["key"]: r["value"] for r in self._rows("params", "key, value", run_id)
        }

    def tags(self, run_id: str) -> dict[str, str]:
        rows = self._rows("tags", "key, value, deleted", run_id)
        return {r["key"]: r["value"] for r in rows if not r["deleted"]}

    def metrics(self, run_id: str) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for row in self._rows("metrics", "key, value, step", run_id):
            found.setdefault(row["key"], []).append(row["value"])
        return found

    def run_count(self) -> int:
        self.service.catch_up()
        rows = self.store.query(
            f"SELECT count() AS n FROM {self.store.table('runs')} FINAL"
        )
        return int(rows[0]["n"])
