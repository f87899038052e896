"""Over-long keys and values sent to MLflow's REST endpoints are answered with
MLflow's INVALID_PARAMETER_VALUE 400, never stored and never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runstream.api import create_app
from runstream.consumers.service import ProjectionService

API = "/api/2.0/mlflow"


@pytest.fixture
def client(service: ProjectionService) -> Iterator[TestClient]:
    service.start()  # MLflow writes answer once projected
    with TestClient(create_app(service), raise_server_exceptions=False) as test:
        yield test


@pytest.fixture
def run_id(client: TestClient) -> str:
    created = client.post(f"{API}/runs/create", json={"experiment_id": "0"})
    assert created.status_code == 200, created.text
    return str(created.json()["run"]["info"]["run_id"])


LONG_KEY = "k" * 251
REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("runs/log-metric", {"key": LONG_KEY, "value": 1, "timestamp": 0}, "250"),
    ("runs/log-parameter", {"key": LONG_KEY, "value": "x"}, "250"),
    ("runs/log-parameter", {"key": "p", "value": "x" * 6001}, "6000"),
    ("runs/set-tag", {"key": "t", "value": "x" * 5001}, "5000"),
    ("runs/set-tag", {"key": LONG_KEY, "value": "x"}, "250"),
    (
        "runs/log-batch",
        {"metrics": [{"key": "m", "value": i, "timestamp": 0} for i in range(1001)]},
        "1000",
    ),
    ("runs/log-batch", {"tags": [{"key": "t", "value": "x" * 5001}]}, "5000"),
    ("runs/log-batch", {"params": [{"key": LONG_KEY, "value": "x"}]}, "250"),
]


@pytest.mark.parametrize(("endpoint", "body", "limit"), REFUSED)
def test_run_limits(
    client: TestClient, run_id: str, endpoint: str, body: dict[str, Any], limit: str
) -> None:
    answer = client.post(f"{API}/{endpoint}", json={"run_id": run_id, **body})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert limit in answer.json()["message"]

    run = client.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert run["data"].get("params", []) == []
    assert run["data"].get("metrics", []) == []


def test_experiment_tag_value_limit(client: TestClient) -> None:
    body = {"experiment_id": "0", "key": "t", "value": "x" * 5001}
    answer = client.post(f"{API}/experiments/set-experiment-tag", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
