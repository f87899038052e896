"""Faults on real Kafka: consumers killed with SIGKILL, a broker restarted under a
training run, a group member lost. Consumers run as processes of their own, each
with its own chDB folder (chDB allows one process per folder)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from live_api import serve_api
from realservers import Server
from realservers import start as start_server
from scaled_support import HERE, point_count, summary, wait_for

import runstream
from runstream.consumers.service import ProjectionService
from runstream.events import TRACKING_TOPIC
from runstream.log.kafka_admin import KafkaTopics
from runstream.settings import load_kafka_settings

SESSION_TIMEOUT_MS = "6000"


def consumer_env(uri: str, folder: Path, group: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "RUNSTREAM_HOME": str(folder),
        "RUNSTREAM_TRACKING_URI": uri,
        "RUNSTREAM_CLICKHOUSE": f"chdb://{folder / 'chdb'}",
        "RUNSTREAM_CONSUMER_GROUP": group,
        "RUNSTREAM_KAFKA_SESSION_TIMEOUT_MS": SESSION_TIMEOUT_MS,
        **extra,
    }


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    with log.open("a") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True
        )


def consume(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    return spawn([sys.executable, "-m", "runstream.cli", "consume"], env, log)


def group_lag(broker: Server, group: str) -> int:
    topics = KafkaTopics([broker.address], load_kafka_settings(), 8)
    try:
        return sum(topics.group_lag(group, [TRACKING_TOPIC]).values())
    finally:
        topics.close()


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def log_runs(count: int, points: int) -> list[str]:
    run_ids = []
    for r in range(count):
        with runstream.start_run(run_name=f"fault-{r}") as run:
            runstream.log_param("r", r)
            for step in range(points):
                runstream.log_metric("loss", r + step / points, step=step)
        run_ids.append(run.info.run_id)
    return run_ids


def project_all(broker: Server, env: dict[str, str], log: Path) -> None:
    """Run one clean consumer until its group has nothing left, then stop it."""
    process = consume(env, log)
    try:
        wait_for(lambda: group_lag(broker, env["RUNSTREAM_CONSUMER_GROUP"]) == 0,
                 120, f"group lag 0 (see {log})")  # fmt: skip
    finally:
        stop(process)


def test_a_consumer_killed_mid_batch_leaves_nothing_lost_or_doubled(
    kafka_broker: Server, kafka_uri: str, tmp_path: Path
):
    run_ids = log_runs(count=3, points=30_000)
    group = f"kill9-{uuid.uuid4().hex[:8]}"
    env = consumer_env(kafka_uri, tmp_path / "killed", group,
                       RUNSTREAM_KAFKA_MAX_POLL_RECORDS="3")  # fmt: skip
    log = tmp_path / "killed.log"
    dying = spawn([sys.executable, str(HERE / "dying_consumer.py"), "8"], env, log)
    assert dying.wait(120) == -signal.SIGKILL, log.read_text()
    assert "killing myself after insert 8" in log.read_text()
    assert group_lag(kafka_broker, group) > 0

    project_all(kafka_broker, env, log)
    clean_env = consumer_env(kafka_uri, tmp_path / "clean", f"clean-{group}")
    project_all(kafka_broker, clean_env, tmp_path / "clean.log")

    after_kill = summary(tmp_path / "killed" / "chdb", "runstream", run_ids)
    clean = summary(tmp_path / "clean" / "chdb", "runstream", run_ids)
    for run_id in run_ids:
        assert after_kill[run_id]["points"] == clean[run_id]["points"] == 30_000
        assert after_kill[run_id]["sum"] == pytest.approx(clean[run_id]["sum"])
        assert after_kill[run_id]["status"] == clean[run_id]["status"] == "FINISHED"
        assert after_kill[run_id]["params"] == clean[run_id]["params"] == 1


def test_when_one_of_two_consumers_dies_the_other_takes_its_partitions(
    kafka_broker: Server, kafka_uri: str, tmp_path: Path
):
    log_runs(count=1, points=10)  # the topic exists before the group forms
    group = f"pair-{uuid.uuid4().hex[:8]}"
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = consume(consumer_env(kafka_uri, tmp_path / "first", group), logs[0])
    second = consume(consumer_env(kafka_uri, tmp_path / "second", group), logs[1])
    try:
        wait_for(lambda: all("partitions assigned" in p.read_text() for p in logs),
                 90, "both consumers to own partitions")  # fmt: skip
        wait_for(lambda: group_lag(kafka_broker, group) == 0, 90, "group lag 0")
        first.kill()  # SIGKILL: no goodbye to the group
        first.wait(30)

        run_ids = log_runs(count=12, points=500)
        wait_for(lambda: group_lag(kafka_broker, group) == 0, 120,
                 "the survivor to catch up")  # fmt: skip
    finally:
        first.kill()
        stop(second)
    assert "partitions assigned" in logs[1].read_text()
    found = summary(tmp_path / "second" / "chdb", "runstream", run_ids)
    assert all(found[r]["points"] == 500 for r in run_ids), found
    assert all(found[r]["params"] == 1 for r in run_ids), found


@pytest.fixture
def own_broker(tmp_path: Path):
    broker = start_server("kafka", tmp_path / "broker")
    yield broker
    broker.stop()


def test_a_run_keeps_logging_while_the_broker_restarts_and_loses_nothing(
    own_broker: Server,
    kafka_service_factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    uri = f"kafka://{own_broker.address}"
    spill = tmp_path / "spill"
    timeouts = {
        "RUNSTREAM_KAFKA_REQUEST_TIMEOUT_MS": "1500",
        "RUNSTREAM_KAFKA_DELIVERY_TIMEOUT_MS": "3000",
    }
    env = {
        **os.environ,
        **timeouts,
        "RUNSTREAM_TRACKING_URI": uri,
        "RUNSTREAM_SPILL_DIR": str(spill),
        "RUNSTREAM_MAX_BUFFER_POINTS": "20000",
    }
    steps, per_step = 200, 250
    out = tmp_path / "train.log"
    command = [sys.executable, str(HERE / "train_through_outage.py"), str(steps),
               str(per_step), "0.05"]  # fmt: skip
    training = spawn(command, env, out)

    def steps_done() -> int:
        return out.read_text().count("STEP ")

    def health(api: str) -> int:
        return httpx.get(f"{api}/api/v1/health", timeout=60).status_code

    # The projection service runs through the outage, so its health can be seen;
    # short Kafka timeouts let it answer within seconds while the broker is away.
    for name, value in timeouts.items():
        monkeypatch.setenv(name, value)
    service: ProjectionService = kafka_service_factory(uri)
    service.start()
    with serve_api(service) as api:
        wait_for(lambda: steps_done() >= 20, 60, "the run to start logging")
        wait_for(lambda: health(api) == 200, 60, "health ok before the outage")
        own_broker.stop()
        down_at = steps_done()
        wait_for(lambda: health(api) == 503, 60, "health degraded, broker down")
        # <spill dir>/<event log>/<producer>/<batch>
        wait_for(
            lambda: list(spill.glob("*/*/*.batch")), 60, "the SDK to spill to disk"
        )
        # Generous: on a loaded 2-core machine this once took longer than 60 s.
        wait_for(lambda: steps_done() >= down_at + 40, 120, "logging to go on")
        own_broker.start()
        assert training.wait(180) == 0, out.read_text()
        wait_for(lambda: health(api) == 200, 120, "health ok, broker back")

        text = out.read_text()
        run_id = text.split("RUN ")[1].split()[0]
        slowest = float(text.split("SLOWEST ")[1].split()[0])
        assert slowest < 5, "a logging call waited on the broker"
        assert re.search(r"appending batch \d+ failed, attempt \d+", text), text
        total = steps * per_step
        wait_for(lambda: point_count(service.store, run_id) == total, 120,
                 "every point projected")  # fmt: skip
        assert not list(spill.glob("*/*/*.batch"))
        run = httpx.get(f"{api}/api/v1/runs/{run_id}", timeout=30).json()
        assert run["status"] == "FINISHED"
        history = httpx.get(
            f"{api}/api/v1/runs/{run_id}/history",
            params={"key": "loss", "max_results": total + 10},
            timeout=60,
        ).json()
        assert history["total_points"] == len(history["points"]["step"]) == total
        assert sorted(history["points"]["step"]) == list(range(total))
