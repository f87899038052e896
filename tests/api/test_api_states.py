"""Replays through the API, and reading a replayed state with ``?state=``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import runstream
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService


@pytest.fixture
def logged(service: ProjectionService, store: ClickHouseStore) -> Iterator[str]:
    runstream.set_experiment("states")
    with runstream.start_run(run_name="kept") as run:
        runstream.log_param("lr", 0.1)
        for step in range(50):
            runstream.log_metric("loss", 1 / (step + 1), step=step)
    runstream.flush()
    service.catch_up()
    yield run.info.run_id
    for row in store.query(
        "SELECT name FROM system.databases WHERE startsWith(name, {p:String})",
        {"p": store.database + "__"},
    ):
        store.command(f"DROP DATABASE IF EXISTS {row['name']}")


def replay(client: TestClient, **request: Any) -> dict[str, Any]:
    started = client.post("/api/v1/replays", json=request)
    assert started.status_code == 202, started.text
    replay_id = started.json()["replay_id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        report: dict[str, Any] = client.get(f"/api/v1/replays/{replay_id}").json()
        if report["phase"] in ("done", "failed"):
            return report
        time.sleep(0.05)
    raise AssertionError(f"replay {replay_id} did not end")


def test_a_replay_into_a_state_is_listed_and_readable(
    client: TestClient, logged: str
) -> None:
    report = replay(client, into="snapshot")

    assert report["phase"] == "done", report
    assert report["points_applied"] == 50
    assert report["events_per_s"] > 0
    states = client.get("/api/v1/states").json()["states"]
    assert [s["name"] for s in states] == ["live", "snapshot"]
    assert states[1]["info"]["complete"] == "1"
    live = client.get(f"/api/v1/runs/{logged}").json()
    assert client.get(f"/api/v1/runs/{logged}?state=snapshot").json() == live


def test_a_full_replay_through_the_api_swaps_in(
    client: TestClient, logged: str
) -> None:
    before = client.get("/api/v1/runs").json()

    report = replay(client)

    assert report["phase"] == "done", report
    assert report["state"] == "live"
    assert client.get("/api/v1/runs").json() == before
    assert [s["name"] for s in client.get("/api/v1/states").json()["states"]] == [
        "live"
    ]


def test_states_can_be_dropped_but_not_the_live_one(
    client: TestClient, logged: str
) -> None:
    replay(client, into="gone")

    assert client.delete("/api/v1/states/gone").status_code == 204
    missing = client.get("/api/v1/runs", params={"state": "gone"})
    assert missing.status_code == 404
    assert "runstream replay --into gone" in missing.json()["detail"]
    assert client.delete("/api/v1/states/live").status_code == 400


def test_bad_replay_requests_are_refused(client: TestClient, logged: str) -> None:
    no_name = client.post("/api/v1/replays", json={"until": "0:0"})
    assert no_name.status_code == 400
    assert "--into" in no_name.json()["detail"]
    assert client.get("/api/v1/replays/nope").status_code == 404
    bad_state = client.get("/api/v1/runs", params={"state": "Not-A-Name"})
    assert bad_state.status_code == 400
    assert replay(client, into="taken")["phase"] == "done"
    taken = client.post("/api/v1/replays", json={"into": "taken"})
    assert taken.status_code == 400
    assert "exists already" in taken.json()["detail"]
