import pytest
from fastapi.testclient import TestClient

import runstream
from runstream.consumers.service import ProjectionService
from runstream.errors import StoreError


def test_root_redirects_to_the_dashboard(
    client: TestClient, service: ProjectionService
) -> None:
    response = client.get("/", follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == service.settings.dashboard_url


def test_a_browser_at_the_root_gets_the_page_that_reads_mlflow_links(
    client: TestClient, service: ProjectionService
) -> None:
    response = client.get("/", headers={"accept": "text/html,*/*;q=0.8"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f'new URL("{service.settings.dashboard_url}")' in response.text
    assert "window.location.replace" in response.text


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200

    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "runstream query API"
    assert spec["info"]["version"] == runstream.__version__
    assert "/api/v1/runs/{run_id}/metrics/{key}" in spec["paths"]


def test_store_error_is_503_with_a_detail(
    client: TestClient, service: ProjectionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_query(*args: object, **kwargs: object) -> None:
        raise StoreError("ClickHouse query failed: connection refused")

    monkeypatch.setattr(service.store, "query", failing_query)
    response = client.get("/api/v1/experiments")

    assert response.status_code == 503
    assert "connection refused" in response.json()["detail"]
