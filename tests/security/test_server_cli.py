"""``runstream server`` passes the tokens to the API it starts and hands the
dashboard a read token of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from runstream import cli
from runstream.consumers.service import ProjectionService

WRITER = "writer-token-0123456789"


@pytest.fixture
def started(
    service: ProjectionService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, Any]:
    """Run ``runstream server`` with the test's service, recording the app it
    serves and the environment it gives the dashboard, without binding ports."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(ProjectionService, "open", lambda settings: service)
    monkeypatch.setattr(service, "start", lambda: None)
    # The store belongs to the test session; the command must not close it.
    monkeypatch.setattr(service.store, "close", lambda: None)

    def start_dashboard(host: str, port: int, env: dict[str, str]) -> None:
        seen["dashboard_env"] = env

    def run(app: FastAPI, **kwargs: Any) -> None:
        seen["app"] = app

    monkeypatch.setattr(cli, "_start_dashboard", start_dashboard)
    monkeypatch.setattr("uvicorn.run", run)
    monkeypatch.setenv("RUNSTREAM_AUTH_TOKENS", f"write:ci:{WRITER}")
    result = CliRunner().invoke(cli.app, ["server", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    seen["output"] = result.output
    return seen


def test_dashboard_gets_a_read_token(started: dict[str, Any]) -> None:
    token = started["dashboard_env"]["RUNSTREAM_TOKEN"]
    assert token and token != WRITER
    assert "authentication:      on, 2 tokens" in started["output"]
    assert token not in started["output"]

    with TestClient(started["app"]) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/experiments", headers=headers).status_code == 200
        body = {"records": []}
        wrote = client.post("/api/v1/events", json=body, headers=headers)
        assert wrote.status_code == 403
        # The tokens from the environment reach the API too.
        writer = {"Authorization": f"Bearer {WRITER}"}
        assert client.get("/api/v1/experiments", headers=writer).status_code == 200
        assert client.get("/api/v1/experiments").status_code == 401
