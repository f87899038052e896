"""Faults in the stores under a logging run: ClickHouse (server mode) and the
object store (MinIO) each go down for several seconds and come back.

Each test shows the whole bar: the writes retry with backoff and log
"attempt n/m", ``/api/v1/health`` answers 503 (degraded) during the outage and
200 again after it, and every point, param and artifact the run logged is there
exactly once afterwards, counted through the query API.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from clickhouse_http import ChdbHttpServer
from live_api import serve_api
from log_through_outage import artifact_bytes, artifact_path
from realservers import MINIO_PASSWORD, MINIO_USER, Server
from realservers import start as start_server
from scaled_support import HERE, wait_for

from runstream.blobs import open_blob_store
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.projector import Projector
from runstream.consumers.runner import ProjectionRunner
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import live_blobs
from runstream.events import TRACKING_TOPIC
from runstream.log import SqliteEventLog
from runstream.settings import load_settings

logger = logging.getLogger(__name__)

ATTEMPT = re.compile(r"attempt (\d+)/(\d+)")


def health(api: str) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(f"{api}/api/v1/health", timeout=30)
    return answer.status_code, answer.json()


def train(env: dict[str, str], work: Path, steps: int, large_every: int):
    out = work / "train.log"
    command = [sys.executable, str(HERE / "log_through_outage.py"), str(steps),
               "200", "0.1", str(large_every), str(work / "files")]  # fmt: skip
    with out.open("a") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    return process, out


def steps_done(out: Path) -> int:
    return out.read_text().count("STEP ")


def logged(caplog: pytest.LogCaptureFixture, logger_name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger_name]


def attempts(messages: list[str]) -> list[tuple[int, int]]:
    """(n, m) of every "attempt n/m" among ``messages``."""
    found = (ATTEMPT.search(m) for m in messages)
    return [(int(f[1]), int(f[2])) for f in found if f]


def outage(
    api: str, take_down, bring_back, down_for_s: float, what: str
) -> dict[str, Any]:
    """Take a store down, watch health turn degraded, keep it down, bring it back
    and watch health turn ok; return what health said and when."""
    down_at = time.monotonic()
    take_down()
    code, report = wait_for(
        lambda: (found := health(api))[0] == 503 and found, 60,
        f"health to turn degraded with {what} down",
    )  # fmt: skip
    degraded_after = time.monotonic() - down_at
    time.sleep(max(0.0, down_for_s - degraded_after))
    back_at = time.monotonic()
    bring_back()
    wait_for(lambda: health(api)[0] == 200, 120, f"health to be ok with {what} back")
    seen = {
        "degraded_report": report,
        "degraded_after_s": round(degraded_after, 2),
        "down_s": round(back_at - down_at, 2),
        "ok_after_back_s": round(time.monotonic() - back_at, 2),
    }
    logger.info("%s outage: %s", what, seen)
    return seen


def expect_everything(api: str, run_id: str, steps: int, per_step: int) -> None:
    """Every point, param and artifact of the run exactly once, through the API."""
    points = steps * per_step

    def history() -> dict[str, Any]:
        answer = httpx.get(
            f"{api}/api/v1/runs/{run_id}/history",
            params={"key": "loss", "max_results": points + 10},
            timeout=60,
        )
        return answer.json() if answer.status_code == 200 else {"total_points": 0}

    wait_for(lambda: history()["total_points"] >= points, 120, "every point")
    found = history()
    columns = found["points"]
    distinct = set(zip(columns["step"], columns["timestamp"], columns["value"],
                       columns["rank"], strict=True))  # fmt: skip
    assert found["total_points"] == len(columns["step"]) == len(distinct) == points
    assert sorted(columns["step"]) == list(range(points))

    run = httpx.get(f"{api}/api/v1/runs/{run_id}", timeout=30).json()
    assert run["status"] == "FINISHED"
    assert sorted(run["params"]) == [f"p{s:04d}" for s in range(steps)]
    assert all(run["params"][f"p{s:04d}"] == str(s) for s in range(steps))

    listed = httpx.get(f"{api}/api/v1/runs/{run_id}/artifacts", timeout=30).json()
    assert sorted(f["path"] for f in listed["files"]) == [
        artifact_path(s) for s in range(steps)
    ]


def expect_artifact_bytes(api: str, run_id: str, steps: int, large_every: int) -> None:
    """Each artifact's bytes, downloaded, are the bytes logged, as indexed."""
    listed = httpx.get(f"{api}/api/v1/runs/{run_id}/artifacts", timeout=30).json()
    indexed = {f["path"]: f["sha256"] for f in listed["files"]}
    for step in range(steps):
        path = artifact_path(step)
        expected = artifact_bytes(step, step % large_every == large_every - 1)
        answer = httpx.get(f"{api}/api/v1/runs/{run_id}/artifacts/{path}", timeout=60)
        assert answer.status_code == 200, (step, answer.text)
        digest = hashlib.sha256(expected).hexdigest()
        assert hashlib.sha256(answer.content).hexdigest() == digest, path
        assert indexed[path] == digest, path


def expect_each_event_once(service: ProjectionService) -> None:
    """Every tracking event on the log has one row in the events table."""
    on_log = sum(service.log.end_offsets(TRACKING_TOPIC).values())
    (row,) = service.store.query(
        f"SELECT count() AS n FROM {service.store.table('events')} FINAL "
        "WHERE topic = {topic:String}",
        {"topic": TRACKING_TOPIC},
    )
    assert row["n"] == on_log


@pytest.fixture
def clickhouse(tmp_path: Path) -> Iterator[ChdbHttpServer]:
    server = ChdbHttpServer(tmp_path / "clickhouse").start()
    yield server
    server.stop()


def test_clickhouse_down_and_back_loses_and_doubles_nothing(
    clickhouse: ChdbHttpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="runstream")
    log_path = tmp_path / "log.sqlite"
    settings = load_settings(
        home=tmp_path,
        tracking_uri=str(log_path),
        clickhouse=clickhouse.url,
        artifacts=f"file://{tmp_path / 'artifacts'}",
    )
    service = ProjectionService.open(settings)
    service.start()
    steps, per_step = 120, 200
    env = {**os.environ, "RUNSTREAM_HOME": str(tmp_path),
           "RUNSTREAM_TRACKING_URI": str(log_path)}  # fmt: skip
    training, out = train(env, tmp_path, steps, large_every=40)
    try:
        with serve_api(service) as api:
            wait_for(lambda: steps_done(out) >= 15, 60, "the run to start logging")
            wait_for(lambda: service.runner.applied_events > 10, 60, "projection")
            # Longer than every attempt of one batch together (about 9 s), so the
            # batch is also given up once and read again from the log.
            seen = outage(api, clickhouse.stop, clickhouse.start, 12, "ClickHouse")
            assert seen["degraded_report"]["store"] == "unavailable"
            assert training.wait(120) == 0, out.read_text()

            runner = logged(caplog, "runstream.consumers.runner")
            tries = attempts(runner)
            logger.info("consumer retries: %s", tries)
            # One batch went through every attempt, 1/m to m/m, and was then read
            # again from the log rather than skipped.
            last = tries[0][1]
            assert [n for n, _ in tries[:last]] == list(range(1, last + 1)), runner
            assert any("reading it again from the committed" in m for m in runner)

            run_id = out.read_text().split("RUN ")[1].split()[0]
            expect_everything(api, run_id, steps, per_step)
            expect_each_event_once(service)
            assert health(api)[0] == 200
    finally:
        training.kill()
        service.stop()
        service.log.close()
        service.store.close()


@pytest.fixture
def own_minio(tmp_path: Path) -> Iterator[Server]:
    server = start_server("minio", tmp_path / "minio")
    yield server
    server.stop()


def test_object_store_down_and_back_loses_no_artifact(
    own_minio: Server,
    store: ClickHouseStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.WARNING, logger="runstream")
    log_path = tmp_path / "log.sqlite"
    s3 = {
        "RUNSTREAM_ARTIFACTS": "s3://faults/artifacts",
        "RUNSTREAM_S3_ENDPOINT": own_minio.address,
        "RUNSTREAM_S3_ACCESS_KEY": MINIO_USER,
        "RUNSTREAM_S3_SECRET_KEY": MINIO_PASSWORD,
    }
    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(home=tmp_path, tracking_uri=str(log_path))
    log = SqliteEventLog(log_path, partitions=settings.partitions)
    blobs = open_blob_store(settings.artifacts_location())
    projector = Projector(store, live_blobs(store, blobs))
    runner = ProjectionRunner(log, projector, "store-faults")
    service = ProjectionService(settings, log, store, blobs, runner)
    service.start()
    # Every sixth artifact is too large for an event: the SDK uploads it itself.
    steps, per_step, large_every = 60, 200, 6
    env = {**os.environ, **s3, "RUNSTREAM_HOME": str(tmp_path),
           "RUNSTREAM_TRACKING_URI": str(log_path)}  # fmt: skip
    training, out = train(env, tmp_path, steps, large_every)
    try:
        with serve_api(service) as api:
            wait_for(lambda: steps_done(out) >= 8, 60, "the run to start logging")
            seen = outage(api, own_minio.stop, own_minio.start, 8, "MinIO")
            assert seen["degraded_report"]["blobs"] == "unavailable"
            assert training.wait(120) == 0, out.read_text()

            # The consumer writes the artifacts that travel inside events...
            consumer = attempts(logged(caplog, "runstream.blobs.s3"))
            logger.info("consumer retries: %s", consumer)
            assert consumer[:2] == [(1, 6), (2, 6)], consumer
            # ...and the SDK uploads the large ones itself.
            sdk = attempts(out.read_text().splitlines())
            logger.info("SDK retries: %s", sdk)
            assert sdk[:2] == [(1, 6), (2, 6)], out.read_text()

            run_id = out.read_text().split("RUN ")[1].split()[0]
            expect_everything(api, run_id, steps, per_step)
            expect_artifact_bytes(api, run_id, steps, large_every)
            expect_each_event_once(service)
            assert health(api)[0] == 200
    finally:
        training.kill()
        service.stop()
        log.close()
