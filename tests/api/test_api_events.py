"""``POST /api/v1/events``: the HTTP transport onto the log."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

import runstream
from runstream.api import create_app
from runstream.consumers.service import ProjectionService
from runstream.events import DEAD_LETTER_TOPIC, TRACKING_TOPIC, Event, encode


def frame(event: Event) -> dict[str, str]:
    return {
        "topic": event.topic,
        "key": event.key,
        "value": base64.b64encode(encode(event)).decode(),
    }


TAGS = Event("TagsSet", {"run_id": "run-1", "keys": ["k"], "values": ["v"]})


def test_events_are_appended_in_order_with_their_positions(
    client: TestClient, service: ProjectionService
):
    answer = client.post("/api/v1/events", json={"records": [frame(TAGS)] * 3})
    assert answer.status_code == 200
    positions = answer.json()["positions"]
    assert [p["offset"] for p in positions] == [0, 1, 2]
    ends = client.get("/api/v1/events/end-offsets", params={"topic": TRACKING_TOPIC})
    assert sum(ends.json()["end_offsets"].values()) == 3


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"value": base64.b64encode(b"not avro").decode()}, "not a base64 runstream"),
        ({"value": "%%%"}, "not a base64 runstream"),
        ({"topic": DEAD_LETTER_TOPIC}, "belongs on topic"),
        ({"key": "run-2"}, "is keyed 'run-1'"),
    ],
)
def test_records_that_are_not_their_own_event_are_refused(
    client: TestClient, change: dict[str, str], complaint: str
):
    answer = client.post("/api/v1/events", json={"records": [frame(TAGS) | change]})
    assert answer.status_code == 400
    assert complaint in answer.json()["detail"]


@pytest.fixture
def api_url(service: ProjectionService) -> Iterator[str]:
    """The app served on a real port, as a training machine would reach it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(service), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_the_sdk_logs_through_the_api(service: ProjectionService, api_url: str):
    runstream.set_tracking_uri(api_url)
    with runstream.start_run(run_name="over-http") as run:
        runstream.log_param("transport", "http")
        for step in range(5000):
            runstream.log_metric("loss", float(step), step=step)
    service.catch_up()
    store = service.store
    (row,) = store.query(
        f"SELECT count() AS n FROM {store.table('metrics')} FINAL "
        "WHERE run_id = {run:String}",
        {"run": run.info.run_id},
    )
    assert row["n"] == 5000
    (run_row,) = store.query(
        f"SELECT run_name, status FROM {store.table('runs')} FINAL "
        "WHERE run_id = {run:String}",
        {"run": run.info.run_id},
    )
    assert run_row == {"run_name": "over-http", "status": "FINISHED"}
