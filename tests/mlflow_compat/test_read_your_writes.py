"""A write answers once the projection applied it; when the projection is behind
past RUNSTREAM_WRITE_WAIT_S, the answer still succeeds and says so."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from runstream.api.app import create_app
from runstream.api.mlflow.writes import PROJECTION_HEADER
from runstream.consumers.service import ProjectionService
from runstream.events import Event, encode
from runstream.log import Record

API = "/api/2.0/mlflow"


def test_a_write_not_yet_projected_answers_pending(service: ProjectionService) -> None:
    # The consumer is not running here, so nothing is projected until catch_up.
    settings = service.settings.model_copy(update={"write_wait_s": 0.2})
    behind = ProjectionService(
        settings, service.log, service.store, service.blobs, service.runner
    )
    with TestClient(create_app(behind)) as http:
        created = http.post(f"{API}/experiments/create", json={"name": "later"})
        assert created.status_code == 200
        assert created.headers[PROJECTION_HEADER] == "pending"
        experiment_id = created.json()["experiment_id"]
        params = {"experiment_id": experiment_id}
        assert http.get(f"{API}/experiments/get", params=params).status_code == 404

        behind.catch_up()
        found = http.get(f"{API}/experiments/get", params=params)
        assert found.json()["experiment"]["name"] == "later"


def test_wait_applied_wakes_when_the_position_is_applied(
    service: ProjectionService,
) -> None:
    event = Event("RunDeleted", {"run_id": "r1"})
    positions = service.log.append([Record(event.topic, event.key, encode(event))])
    runner = service.runner
    assert runner.wait_applied(positions, timeout_s=0.05) is False

    results: list[bool] = []
    waiter = threading.Thread(
        target=lambda: results.append(runner.wait_applied(positions, timeout_s=30))
    )
    waiter.start()
    service.catch_up()
    waiter.join(timeout=30)
    assert results == [True]
    assert runner.wait_applied([], timeout_s=0) is True


def test_a_run_created_while_behind_is_found_by_the_next_write(
    service: ProjectionService,
) -> None:
    """runs/create answered pending; the client's next call on that run waits for
    the projection to catch up instead of answering RESOURCE_DOES_NOT_EXIST."""
    settings = service.settings.model_copy(update={"write_wait_s": 0.2})
    behind = ProjectionService(
        settings, service.log, service.store, service.blobs, service.runner
    )
    with TestClient(create_app(behind)) as http:
        experiment = http.post(f"{API}/experiments/create", json={"name": "e"})
        behind.catch_up()
        created = http.post(
            f"{API}/runs/create",
            json={"experiment_id": experiment.json()["experiment_id"]},
        )
        assert created.status_code == 200, created.text
        assert created.headers[PROJECTION_HEADER] == "pending"
        run_id = created.json()["run"]["info"]["run_id"]

        # The projection catches up a moment later, while the next call waits.
        threading.Timer(0.5, behind.catch_up).start()
        slow = settings.model_copy(update={"write_wait_s": 30.0})
        patient = ProjectionService(
            slow, service.log, service.store, service.blobs, service.runner
        )
        with TestClient(create_app(patient)) as later:
            logged = later.post(
                f"{API}/runs/log-metric",
                json={"run_id": run_id, "key": "loss", "value": 0.5,
                      "timestamp": 1, "step": 0},
            )  # fmt: skip
        assert logged.status_code == 200, logged.text

        unknown = http.post(
            f"{API}/runs/log-metric",
            json={"run_id": "f" * 32, "key": "loss", "value": 0.5, "timestamp": 1},
        )
        assert unknown.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
