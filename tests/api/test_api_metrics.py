import math
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

import runstream
from runstream.consumers.service import ProjectionService


def _series(client: TestClient, run_id: str, key: str, **params: Any) -> Response:
    return client.get(f"/api/v1/runs/{run_id}/metrics/{key}", params=params)


def test_short_series_comes_back_whole_and_sorted(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run() as run:
        for step in (3, 1, 2):
            runstream.log_metric("rank0/loss", step * 0.1, step=step)
    service.catch_up()

    response = _series(client, run.info.run_id, "rank0/loss")

    assert response.status_code == 200
    assert response.json() == {
        "run_id": run.info.run_id,
        "key": "rank0/loss",
        "rank": None,
        "x_axis": "step",
        "total_points": 3,
        "downsampled": False,
        "x": [1, 2, 3],
        "y": [0.1, 0.2, 0.30000000000000004],
    }


def test_long_series_is_downsampled_keeping_the_ends(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run() as run:
        for step in range(5_000):
            runstream.log_metric("loss", math.sin(step / 100) + step / 1000, step=step)
    service.catch_up()

    body = _series(client, run.info.run_id, "loss", max_points=100).json()

    assert body["total_points"] == 5_000
    assert body["downsampled"] is True
    assert 2 < len(body["x"]) <= 100
    assert len(body["x"]) == len(body["y"])
    assert body["x"] == sorted(body["x"])
    assert all(isinstance(x, int) for x in body["x"])
    assert (body["x"][0], body["y"][0]) == (0, 0.0)
    assert body["x"][-1] == 4_999
    assert body["y"][-1] == math.sin(4_999 / 100) + 4_999 / 1000


def test_series_by_timestamp(client: TestClient, service: ProjectionService) -> None:
    with runstream.start_run() as run:
        runstream.log_metric("lr", 0.3, step=1, timestamp=3_000)
        runstream.log_metric("lr", 0.1, step=2, timestamp=1_000)
        runstream.log_metric("lr", 0.2, step=3, timestamp=2_000)
    service.catch_up()

    body = _series(client, run.info.run_id, "lr", x_axis="timestamp").json()

    assert body["x_axis"] == "timestamp"
    assert body["x"] == [1_000, 2_000, 3_000]
    assert body["y"] == [0.1, 0.2, 0.3]


def test_non_finite_points_are_sent_as_strings(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run() as run:
        for step, value in enumerate([1.0, math.nan, math.inf, -math.inf]):
            runstream.log_metric("loss", value, step=step)
    service.catch_up()

    response = _series(client, run.info.run_id, "loss")

    assert response.status_code == 200
    assert response.json()["y"] == [1.0, "NaN", "Infinity", "-Infinity"]


def test_unknown_run_or_key_is_404(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run() as run:
        runstream.log_metric("loss", 1.0)
    service.catch_up()

    unknown_key = _series(client, run.info.run_id, "rank1/loss")
    unknown_run = _series(client, "no-such-run", "loss")

    assert unknown_key.status_code == 404
    assert "rank1/loss" in unknown_key.json()["detail"]
    assert unknown_run.status_code == 404
    assert "no-such-run" in unknown_run.json()["detail"]


def test_bad_query_parameters_are_refused(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run() as run:
        runstream.log_metric("loss", 1.0)
    service.catch_up()
    run_id = run.info.run_id

    assert _series(client, run_id, "loss", max_points=1).status_code == 422
    assert _series(client, run_id, "loss", max_points=100_001).status_code == 422
    assert _series(client, run_id, "loss", x_axis="epoch").status_code == 422
    assert _series(client, run_id, "loss", max_points=2).status_code == 200
