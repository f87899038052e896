"""The examples run as scripts; their events are then projected and counted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runstream.blobs import LocalBlobStore
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.projector import Projector
from runstream.consumers.runner import ProjectionRunner
from runstream.consumers.service import ProjectionService
from runstream.log import SqliteEventLog
from runstream.settings import load_settings
from runstream.tracking import experiment_id_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run_example(tmp_path: Path, script: str, *args: str) -> str:
    """Run ``script`` writing to a log under ``tmp_path``; return its run id."""
    env = {
        **os.environ,
        "RUNSTREAM_TRACKING_URI": str(tmp_path / "log.sqlite"),
        "RUNSTREAM_HOME": str(tmp_path / "home"),
    }
    env.pop("RUNSTREAM_RUN_ID", None)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    match = re.search(r"^run_id: ([0-9a-f]{32})$", done.stdout, re.MULTILINE)
    assert match, done.stdout
    return match.group(1)


def _project(tmp_path: Path, store: ClickHouseStore) -> None:
    log_path = tmp_path / "log.sqlite"
    settings = load_settings(home=tmp_path / "home", tracking_uri=str(log_path))
    log = SqliteEventLog(log_path, partitions=settings.partitions)
    blobs = LocalBlobStore(tmp_path / "projected-artifacts")
    runner = ProjectionRunner(log, Projector(store, blobs), "examples-test")
    service = ProjectionService(settings, log, store, blobs, runner)
    service.catch_up()
    service.stop()


def _query(store: ClickHouseStore, sql: str, run_id: str) -> list[dict[str, Any]]:
    tables = {name: store.table(name) for name in ("runs", "params", "tags", "metrics")}
    return store.query(sql.format(**tables), {"run_id": run_id})


def _run_row(store: ClickHouseStore, run_id: str) -> dict[str, Any]:
    rows = _query(
        store,
        "SELECT status, experiment_id, end_time FROM {runs} FINAL "
        "WHERE run_id = {{run_id:String}}",
        run_id,
    )
    assert len(rows) == 1
    return rows[0]


def test_sklearn_diabetes_logs_a_finished_autologged_run(
    tmp_path: Path, store: ClickHouseStore
) -> None:
    run_id = _run_example(tmp_path, "sklearn_diabetes.py", "--experiment", "diab-test")
    _project(tmp_path, store)

    run = _run_row(store, run_id)
    assert run["status"] == "FINISHED"
    assert run["experiment_id"] == experiment_id_for("diab-test")
    params = {
        r["key"]: r["value"]
        for r in _query(
            store,
            "SELECT key, value FROM {params} FINAL WHERE run_id = {{run_id:String}}",
            run_id,
        )
    }
    assert (params["n_estimators"], params["max_depth"]) == ("100", "6")
    keys = {
        r["key"]
        for r in _query(
            store,
            "SELECT DISTINCT key FROM {metrics} FINAL WHERE run_id = {{run_id:String}}",
            run_id,
        )
    }
    assert "training_r2_score" in keys and "training_root_mean_squared_error" in keys
    artifacts = store.query(
        f"SELECT path FROM {store.table('artifacts')} FINAL "
        "WHERE run_id = {run_id:String}",
        {"run_id": run_id},
    )
    assert {r["path"] for r in artifacts} >= {"model/model.pkl", "model/MLmodel"}


@pytest.mark.timeout(300)
def test_live_multiworker_logs_every_point_of_every_rank_once(
    tmp_path: Path, store: ClickHouseStore
) -> None:
    workers, points_per_worker = 4, 25_000
    run_id = _run_example(
        tmp_path,
        "live_multiworker.py",
        "--workers", str(workers),
        "--duration", "3",
        "--points-per-worker", str(points_per_worker),
    )  # fmt: skip
    _project(tmp_path, store)

    per_rank = _query(
        store,
        "SELECT splitByChar('/', key)[1] AS rank, count() AS points, "
        "uniqExact(key, step) AS distinct_points "
        "FROM {metrics} FINAL WHERE run_id = {{run_id:String}} AND key LIKE 'rank%' "
        "GROUP BY rank ORDER BY rank",
        run_id,
    )
    assert per_rank == [
        {
            "rank": f"rank{r}",
            "points": points_per_worker,
            "distinct_points": points_per_worker,
        }
        for r in range(workers)
    ]
    total = _query(
        store,
        "SELECT count() AS n FROM {metrics} FINAL "
        "WHERE run_id = {{run_id:String}} AND key LIKE 'rank%'",
        run_id,
    )
    assert total == [{"n": workers * points_per_worker}]
    assert workers * points_per_worker >= 100_000

    # Paced over the duration, not dumped at the end: a live chart saw it move.
    span = _query(
        store,
        "SELECT max(timestamp) - min(timestamp) AS ms FROM {metrics} FINAL "
        "WHERE run_id = {{run_id:String}} AND key LIKE 'rank%'",
        run_id,
    )
    assert span[0]["ms"] >= 2_000
    params = _query(
        store,
        "SELECT key, value FROM {params} FINAL WHERE run_id = {{run_id:String}}",
        run_id,
    )
    assert {"key": "workers", "value": str(workers)} in params

    run = _run_row(store, run_id)
    assert run["status"] == "FINISHED"
    assert run["end_time"] is not None
    assert run["experiment_id"] == experiment_id_for("live-training")
