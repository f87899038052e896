"""No secret reaches a log line, an error message or a repr: each secret is set to
a marker and the start-up and connection-failure paths that use it are driven
against closed loopback ports, with every logger at DEBUG."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from runstream.api import create_app
from runstream.auth import TokenTable
from runstream.blobs import open_blob_store
from runstream.consumers.clickhouse.store import connect_store
from runstream.consumers.service import ProjectionService
from runstream.errors import AuthError, RunstreamError
from runstream.events import Event, encode
from runstream.log import kafka_admin, open_log
from runstream.log.base import Record
from runstream.reads import QueryApi
from runstream.settings import (
    load_auth_settings,
    load_clickhouse_settings,
    load_dashboard_settings,
    load_kafka_settings,
    load_s3_settings,
    load_settings,
)

MARKER = "Secr3tMarker-7f3a9c1e5b"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


def assert_hidden(caplog: pytest.LogCaptureFixture, *texts: object) -> None:
    for record in caplog.records:
        assert MARKER not in record.getMessage(), record.name
    for text in texts:
        assert MARKER not in str(text)
        assert MARKER not in repr(text)


def chain(error: BaseException) -> list[BaseException]:
    """The error and every error it was raised from."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def failure(action: Callable[[], object]) -> list[BaseException]:
    with pytest.raises(RunstreamError) as raised:
        action()
    return chain(raised.value)


def test_settings_reprs_hide_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        "RUNSTREAM_TOKEN",
        "RUNSTREAM_S3_SECRET_KEY",
        "RUNSTREAM_CLICKHOUSE_PASSWORD",
        "RUNSTREAM_KAFKA_SASL_PASSWORD",
    ):
        monkeypatch.setenv(variable, MARKER)
    monkeypatch.setenv("RUNSTREAM_AUTH_TOKENS", f"read:dash:{MARKER}")
    loaded = [
        load_settings(),
        load_s3_settings(),
        load_clickhouse_settings(),
        load_kafka_settings(),
        load_auth_settings(),
        load_dashboard_settings(),
        TokenTable.load(load_auth_settings()),
    ]
    for settings in loaded:
        assert MARKER not in repr(settings) and MARKER not in str(settings)


def test_s3_store_unreachable(
    monkeypatch: pytest.MonkeyPatch, debug_logs: pytest.LogCaptureFixture, closed_port
) -> None:
    monkeypatch.setenv("RUNSTREAM_S3_ENDPOINT", f"127.0.0.1:{closed_port}")
    monkeypatch.setenv("RUNSTREAM_S3_ACCESS_KEY", "runstream")
    monkeypatch.setenv("RUNSTREAM_S3_SECRET_KEY", MARKER)
    # Two attempts: the retry's log line is checked too, without a long wait.
    monkeypatch.setenv("RUNSTREAM_S3_WRITE_ATTEMPTS", "2")
    monkeypatch.setenv("RUNSTREAM_S3_RETRY_BACKOFF_S", "0.05")
    errors = failure(lambda: open_blob_store("s3://bucket/prefix"))
    assert "RUNSTREAM_S3_ENDPOINT" in str(errors[0])
    assert_hidden(debug_logs, *errors)


def test_clickhouse_server_unreachable(
    monkeypatch: pytest.MonkeyPatch, debug_logs: pytest.LogCaptureFixture, closed_port
) -> None:
    monkeypatch.setenv("RUNSTREAM_CLICKHOUSE_PASSWORD", MARKER)
    location = f"http://127.0.0.1:{closed_port}"
    errors = failure(lambda: connect_store(location, "runstream"))
    assert "RUNSTREAM_CLICKHOUSE_USER/_PASSWORD" in str(errors[0])
    assert_hidden(debug_logs, *errors)


def test_kafka_unreachable(
    monkeypatch: pytest.MonkeyPatch, debug_logs: pytest.LogCaptureFixture, closed_port
) -> None:
    monkeypatch.setenv("RUNSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("RUNSTREAM_KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("RUNSTREAM_KAFKA_SASL_USERNAME", "runstream")
    monkeypatch.setenv("RUNSTREAM_KAFKA_SASL_PASSWORD", MARKER)
    monkeypatch.setenv("RUNSTREAM_KAFKA_REQUEST_TIMEOUT_MS", "1000")
    # kafka-python's admin client waits 30 s for a first broker by default.
    config = kafka_admin.client_config
    monkeypatch.setattr(
        kafka_admin,
        "client_config",
        lambda *args: {**config(*args), "bootstrap_timeout_ms": 1000},
    )
    log = open_log(f"kafka://127.0.0.1:{closed_port}", partitions=1)
    event = Event("TagsSet", {"run_id": "run-1", "keys": ["k"], "values": ["v"]})
    record = Record(event.topic, event.key, encode(event))
    errors = failure(lambda: log.append([record]))
    assert "127.0.0.1" in str(errors[0])
    assert_hidden(debug_logs, *errors, log)
    log.close()


def test_api_with_a_wrong_token(
    service: ProjectionService,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    good = "good-token-" + MARKER
    monkeypatch.setenv("RUNSTREAM_AUTH_TOKENS", f"admin:ops:{good}")
    app = create_app(service)
    with TestClient(app) as client:
        refused = client.get(
            "/api/v1/experiments", headers={"Authorization": f"Bearer {MARKER}"}
        )
        assert refused.status_code == 401
        assert MARKER not in refused.text

        # The SDK's error for the same refusal carries the API's words only.
        monkeypatch.setenv("RUNSTREAM_TOKEN", MARKER)
        api = QueryApi("http://testserver")
        monkeypatch.setattr(
            "runstream.reads.httpx.request",
            lambda method, url, timeout, **kwargs: client.request(
                method, url, **kwargs
            ),
        )
        errors = failure(lambda: api.get_experiment_by_name("x"))
        assert isinstance(errors[0], AuthError)
    assert_hidden(debug_logs, *errors, api, app.state)
