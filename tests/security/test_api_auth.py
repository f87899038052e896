"""The API with tokens on: who gets in, what the refusals say, and that the SDK,
its HTTP transport and the dashboard's client send RUNSTREAM_TOKEN."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from live_api import serve_app
from pydantic import SecretStr

from runstream.api import create_app
from runstream.auth import Role, TokenTable
from runstream.consumers.service import ProjectionService
from runstream.dashboard.client import ApiClient, ApiRequestError
from runstream.errors import AuthError
from runstream.events import Event, encode
from runstream.log.base import Record
from runstream.log.http import HttpEventLog
from runstream.reads import QueryApi

READER = "reader-token-0123456789"
WRITER = "writer-token-0123456789"
ADMIN = "admin-token-0123456789ab"
TOKENS = (
    TokenTable()
    .with_token(READER, Role.READ, "dash")
    .with_token(WRITER, Role.WRITE, "ci")
    .with_token(ADMIN, Role.ADMIN, "ops")
)
TAGS = Event("TagsSet", {"run_id": "run-1", "keys": ["k"], "values": ["v"]})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def frame(event: Event) -> dict[str, str]:
    value = base64.b64encode(encode(event)).decode()
    return {"topic": event.topic, "key": event.key, "value": value}


@pytest.fixture
def client(service: ProjectionService) -> Iterator[TestClient]:
    with TestClient(create_app(service, tokens=TOKENS)) as test_client:
        yield test_client


def test_off_by_default(service: ProjectionService) -> None:
    with TestClient(create_app(service)) as open_client:
        assert open_client.get("/api/v1/experiments").status_code == 200


def test_health_stays_open(client: TestClient) -> None:
    assert client.get("/api/v1/health").status_code in (200, 503)


@pytest.mark.parametrize("headers", [{}, bearer("unknown-token-0123456789")])
def test_missing_or_unknown_token_is_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    answer = client.get("/api/v1/experiments", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    detail = answer.json()["detail"]
    assert "RUNSTREAM_TOKEN" in detail and "MLFLOW_TRACKING_TOKEN" in detail
    assert "unknown-token" not in detail


def test_missing_token_says_how_to_send_one(client: TestClient) -> None:
    detail = client.get("/api/v1/experiments").json()["detail"]
    assert "needs a token" in detail
    assert "Authorization: Bearer <token>" in detail


def test_unknown_token_says_it_is_not_known(client: TestClient) -> None:
    wrong = "unknown-token-0123456789"
    answer = client.get("/api/v1/experiments", headers=bearer(wrong))
    detail = answer.json()["detail"]
    assert "needs a token" not in detail
    assert "the token presented is not one this API knows" in detail
    assert "RUNSTREAM_AUTH_TOKENS_FILE" in detail and wrong not in detail

    api = "/api/2.0/mlflow/experiments/get"
    mlflow = client.get(api, params={"experiment_id": "0"}, headers=bearer(wrong))
    assert mlflow.json()["error_code"] == "UNAUTHENTICATED"
    assert "not one this API knows" in mlflow.json()["message"]


def test_roles_include_the_lower_ones(client: TestClient) -> None:
    for token in (READER, WRITER, ADMIN):
        got = client.get("/api/v1/experiments", headers=bearer(token))
        assert got.status_code == 200, token
    body = {"experiment_ids": ["0"]}
    searched = client.post("/api/v1/runs/search", json=body, headers=bearer(READER))
    assert searched.status_code == 200

    for token in (WRITER, ADMIN):
        body = {"records": [frame(TAGS)]}
        sent = client.post("/api/v1/events", json=body, headers=bearer(token))
        assert sent.status_code == 200, token
    dropped = client.delete("/api/v1/states/nothing", headers=bearer(ADMIN))
    assert dropped.status_code not in (401, 403)


def test_too_low_a_role_is_403_naming_both_roles(client: TestClient) -> None:
    body = {"records": [frame(TAGS)]}
    refused = client.post("/api/v1/events", json=body, headers=bearer(READER))
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert "needs the write role" in detail and "'dash'" in detail
    assert "has the read role" in detail and READER not in detail

    replay = client.post("/api/v1/replays", json={}, headers=bearer(WRITER))
    assert replay.status_code == 403
    assert "needs the admin role" in replay.json()["detail"]
    dropped = client.delete("/api/v1/states/x", headers=bearer(WRITER))
    assert dropped.status_code == 403


def test_mlflow_paths_answer_in_mlflows_shape(client: TestClient) -> None:
    api = "/api/2.0/mlflow"
    missing = client.get(f"{api}/experiments/get", params={"experiment_id": "0"})
    assert missing.status_code == 401
    assert missing.json()["error_code"] == "UNAUTHENTICATED"
    assert "MLFLOW_TRACKING_TOKEN" in missing.json()["message"]

    body = {"name": "x"}
    low = client.post(f"{api}/experiments/create", json=body, headers=bearer(READER))
    assert low.status_code == 403
    assert low.json()["error_code"] == "PERMISSION_DENIED"

    upload = client.put(
        "/api/2.0/mlflow-artifacts/artifacts/x.txt", content=b"x", headers={}
    )
    assert upload.status_code == 401
    assert upload.json()["error_code"] == "UNAUTHENTICATED"

    traces = client.post("/api/3.0/mlflow/traces/search", json={})
    assert traces.status_code == 401
    assert traces.json()["error_code"] == "UNAUTHENTICATED"


def test_basic_auth_takes_the_password_as_token(client: TestClient) -> None:
    basic = base64.b64encode(f"whoever:{READER}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    assert client.get("/api/v1/experiments", headers=headers).status_code == 200
    wrong = base64.b64encode(f"{READER}:nope".encode()).decode()
    refused = client.get(
        "/api/v1/experiments", headers={"Authorization": f"Basic {wrong}"}
    )
    assert refused.status_code == 401


def test_sdk_transport_and_dashboard_send_the_token(
    service: ProjectionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = Record(TAGS.topic, TAGS.key, encode(TAGS))
    with serve_app(create_app(service, tokens=TOKENS)) as url:
        monkeypatch.delenv("RUNSTREAM_TOKEN", raising=False)
        with pytest.raises(AuthError, match="RUNSTREAM_TOKEN"):
            QueryApi(url).get_experiment_by_name("absent")
        with pytest.raises(AuthError, match="401"):
            HttpEventLog(url).append([record])
        with pytest.raises(ApiRequestError, match="401"):
            ApiClient(url).experiments()

        monkeypatch.setenv("RUNSTREAM_TOKEN", READER)
        assert QueryApi(url).get_experiment_by_name("absent") is None
        with pytest.raises(AuthError, match="needs the write role"):
            HttpEventLog(url).append([record])
        assert ApiClient(url, token=SecretStr(READER)).experiments() == []

        monkeypatch.setenv("RUNSTREAM_TOKEN", WRITER)
        transport = HttpEventLog(url)
        assert len(transport.append([record, record])) == 2
        transport.close()
