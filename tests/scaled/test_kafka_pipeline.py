"""The SDK through real Kafka into the projections, in one process."""

from __future__ import annotations

import base64
import json
import time

from fastapi.testclient import TestClient
from scaled_support import point_count, project_until

import runstream
from runstream.api import create_app
from runstream.consumers.service import ProjectionService
from runstream.events import DEAD_LETTER_TOPIC, TRACKING_TOPIC
from runstream.log import Record

POINTS = 200_000


def test_a_run_logged_to_kafka_is_projected_once(kafka_service: ProjectionService):
    started = time.perf_counter()
    with runstream.start_run(run_name="kafka") as run:
        runstream.log_params({"lr": 0.01})
        for step in range(POINTS):
            runstream.log_metric("loss", 1.0 / (step + 1), step=step)
    produced = time.perf_counter() - started
    run_id = run.info.run_id

    started = time.perf_counter()
    project_until(
        kafka_service, lambda: point_count(kafka_service.store, run_id) == POINTS
    )
    projected = time.perf_counter() - started
    print(
        f"\nthrough Kafka: produce {POINTS / produced:,.0f} points/s, "
        f"project {POINTS / projected:,.0f} points/s"
    )

    store = kafka_service.store
    (row,) = store.query(
        f"SELECT status, run_name FROM {store.table('runs')} FINAL "
        "WHERE run_id = {run:String}",
        {"run": run_id},
    )
    assert row == {"status": "FINISHED", "run_name": "kafka"}
    assert point_count(store, run_id) == POINTS


def test_health_reports_the_lag_of_each_kafka_partition(
    kafka_service: ProjectionService,
):
    with runstream.start_run() as run:
        runstream.log_metric("x", 1.0)
    with TestClient(create_app(kafka_service)) as client:
        before = client.get("/api/v1/health").json()
        assert before["total_lag"] >= 1
        tracking = [p for p in before["lag"] if p["topic"] == TRACKING_TOPIC]
        assert sorted(p["partition"] for p in tracking) == list(range(8))
        project_until(
            kafka_service, lambda: point_count(kafka_service.store, run.info.run_id)
        )
        project_until(kafka_service, lambda: kafka_service.health()["total_lag"] == 0)
        after = client.get("/api/v1/health")
        assert after.status_code == 200
        assert after.json()["total_lag"] == 0


def test_a_poison_message_is_dead_lettered_and_its_partition_goes_on(
    kafka_service: ProjectionService,
):
    log = kafka_service.log
    with runstream.start_run() as run:
        runstream.log_metric("before", 1.0)
    # Same key as the run, so the poison sits in the run's partition, between
    # its events.
    (poison,) = log.append([Record(TRACKING_TOPIC, run.info.run_id, b"not avro")])
    with runstream.start_run(run_id=run.info.run_id):
        runstream.log_metric("after", 2.0)

    store = kafka_service.store
    project_until(kafka_service, lambda: point_count(store, run.info.run_id) == 2)
    assert kafka_service.runner.dead_lettered >= 1

    consumer = log.consumer("dead-letter-reader", [DEAD_LETTER_TOPIC])
    letters = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
        letter["offset"] == poison.offset and letter["key"] == run.info.run_id
        for letter in letters
    ):
        letters += [json.loads(r.value) for r in consumer.poll(500, 0.5)]
    consumer.close()
    letter = next(x for x in letters if x["offset"] == poison.offset)
    assert letter["partition"] == poison.partition
    assert letter["topic"] == TRACKING_TOPIC
    assert base64.b64decode(letter["value_base64"]) == b"not avro"
    assert letter["reason"]
