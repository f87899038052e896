"""Regression tests for malformed requests the API fuzzing found: each answered
a 500, or an error in the wrong shape, before it was fixed."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient
from hostile_seed import Seeded


def test_event_value_with_non_ascii_text_is_a_400(seeded: Seeded) -> None:
    """base64 of a str with non-ASCII characters raised a plain ValueError: 500."""
    body = {"records": [{"topic": "runstream.tracking", "key": "k", "value": "\x80"}]}

    response = seeded.client.post("/api/v1/events", json=body)

    assert response.status_code == 400
    assert "record 0 is not a base64 runstream event" in response.json()["detail"]


def test_event_value_that_is_not_an_event_is_a_400(client: TestClient) -> None:
    value = base64.b64encode(b"\xc3\x01" + b"\x00" * 8).decode()
    body = {"records": [{"topic": "runstream.tracking", "key": "k", "value": value}]}

    response = client.post("/api/v1/events", json=body)

    assert response.status_code == 400
    assert "fingerprint" in response.json()["detail"]


def test_mlflow_body_that_is_not_json_answers_in_mlflow_shape(
    client: TestClient,
) -> None:
    """FastAPI's own 'error parsing the body' left as {"detail": ...}, which the
    mlflow client cannot read."""
    response = client.post(
        "/api/2.0/mlflow/runs/create",
        content=b"\xb4}",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "not valid JSON" in body["message"]


def test_mlflow_body_that_breaks_json_says_where(client: TestClient) -> None:
    response = client.post(
        "/api/2.0/mlflow/runs/log-batch",
        content=b"{bad json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("invalid request: the body is not valid JSON")
    assert "character 1" in message and "double quotes" in message


def test_mlflow_path_no_route_matches_answers_in_mlflow_shape(
    client: TestClient,
) -> None:
    """A path holding a newline matches no route, not even the catch-all one."""
    response = client.get("/api/2.0/mlflow-artifacts/artifacts/a%0Ab")

    assert response.status_code == 404
    body = response.json()
    assert body["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "no route serves GET" in body["message"]


def test_unrouted_path_says_where_the_routes_are(client: TestClient) -> None:
    response = client.get("/api/v1/runs/a%0Ab/nothing")

    assert response.status_code == 404
    assert "/openapi.json" in response.json()["detail"]


def test_route_not_found_keeps_its_own_message(client: TestClient) -> None:
    """Only Starlette's bare 'Not Found' is replaced; a route's 404 stays."""
    response = client.get("/api/v1/runs/no-such-run")

    assert response.status_code == 404
    assert "no-such-run" in response.json()["detail"]


def test_integers_past_64_bits_are_refused_not_wrapped(seeded: Seeded) -> None:
    """ClickHouse wraps a bound integer past its type round instead of refusing
    it: an events offset or a start_step of 2**64 read as 0 and answered 200
    with the first rows, a rank of 2**32 with rank 0's points."""
    run_id = seeded.run_ids[0]
    history = f"/api/v1/runs/{run_id}/history"
    bulk = "/api/2.0/mlflow/metrics/get-history-bulk-interval"
    for path, params, field in (
        (f"/api/v1/runs/{run_id}/events", {"offset": 2**64}, "offset"),
        (history, {"key": "loss", "rank": 2**32}, "rank"),
        (bulk, {"run_ids": run_id, "metric_key": "loss", "start_step": 2**64}, ""),
        (bulk, {"run_ids": run_id, "metric_key": "loss", "end_step": -(2**64)}, ""),
    ):
        response = seeded.client.get(path, params=params)
        assert 400 <= response.status_code < 500, (path, params, response.text)
        assert field in response.text

    metric = {"key": "k", "value": 1.0, "timestamp": 2**64, "step": 0}
    response = seeded.client.post(
        "/api/2.0/mlflow/runs/log-metric", json={"run_id": run_id, **metric}
    )
    assert response.status_code == 400, response.text
    assert "timestamp" in response.json()["message"]
