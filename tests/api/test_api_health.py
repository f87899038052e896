from fastapi.testclient import TestClient

import runstream
from runstream.consumers.service import ProjectionService


def test_health_reports_ok_with_lag(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run():
        runstream.log_param("alpha", 1)

    response = client.get("/api/v1/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"] == "ok"
    assert set(body["consumer"]) == {"group", "alive", "applied_events", "last_error"}
    assert body["total_lag"] > 0  # nothing projected yet
    assert {"topic", "partition", "lag"} <= set(body["lag"][0])
    assert isinstance(body["dead_letters"], int)

    service.catch_up()
    assert client.get("/api/v1/health").json()["total_lag"] == 0


def test_health_is_503_when_degraded(
    client: TestClient, service: ProjectionService
) -> None:
    service.runner.last_error = "projection write failed"

    response = client.get("/api/v1/health")

    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["consumer"]["last_error"] == "projection write failed"
