"""Request bodies past RUNSTREAM_API_MAX_BODY_BYTES (or, for artifact uploads,
RUNSTREAM_API_MAX_UPLOAD_BYTES) get 413, declared or streamed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from live_api import serve_app

from runstream.api import create_app
from runstream.api.body_limit import body_limit
from runstream.auth import Role, TokenTable
from runstream.consumers.service import ProjectionService
from runstream.errors import PartialAppendError
from runstream.events import Event, encode
from runstream.log.base import Record
from runstream.log.http import HttpEventLog
from runstream.settings import ApiSettings

LIMITS = ApiSettings(max_body_bytes=2048, max_upload_bytes=8192)
UPLOAD = "/api/2.0/mlflow-artifacts/artifacts/loose/weights.bin"


def chunks(total: int, size: int = 512) -> Iterator[bytes]:
    """A body without Content-Length: httpx sends it chunked."""
    for _ in range(total // size):
        yield b"x" * size


@pytest.fixture
def url(service: ProjectionService) -> Iterator[str]:
    with serve_app(create_app(service, limits=LIMITS)) as served:
        yield served


def test_default_limits_leave_room_for_uploads() -> None:
    defaults = ApiSettings()
    assert defaults.max_body_bytes == 64 << 20
    assert defaults.max_upload_bytes == 1 << 30
    assert body_limit(defaults, "PUT", UPLOAD)[1] == "RUNSTREAM_API_MAX_UPLOAD_BYTES"
    part = "/api/2.0/mlflow-artifacts/mpu/part/" + "a" * 32 + "/1"
    assert body_limit(defaults, "PUT", part)[0] == 1 << 30
    assert body_limit(defaults, "POST", "/api/v1/events")[0] == 64 << 20


def test_declared_length_past_the_limit(url: str) -> None:
    answer = httpx.post(f"{url}/api/v1/events", content=b"{" + b" " * 4096 + b"}")
    assert answer.status_code == 413
    detail = answer.json()["detail"]
    assert "larger than 2048 bytes" in detail
    assert "RUNSTREAM_API_MAX_BODY_BYTES" in detail


def test_streamed_body_past_the_limit(url: str) -> None:
    answer = httpx.post(
        f"{url}/api/v1/events",
        content=chunks(4096),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert "RUNSTREAM_API_MAX_BODY_BYTES" in answer.json()["detail"]


def test_uploads_have_their_own_limit(url: str) -> None:
    fits = httpx.put(f"{url}{UPLOAD}", content=chunks(4096))
    assert fits.status_code == 200, fits.text
    stored = httpx.get(f"{url}{UPLOAD}")
    assert stored.content == b"x" * 4096

    streamed = httpx.put(f"{url}{UPLOAD}", content=chunks(16384))
    assert streamed.status_code == 413
    body = streamed.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "larger than 8192 bytes" in body["message"]
    assert "RUNSTREAM_API_MAX_UPLOAD_BYTES" in body["message"]

    declared = httpx.put(f"{url}{UPLOAD}", content=b"y" * 16384)
    assert declared.status_code == 413
    # The refused bodies left the stored file alone.
    assert httpx.get(f"{url}{UPLOAD}").content == b"x" * 4096


def test_a_missing_token_is_refused_before_the_body_counts(
    service: ProjectionService,
) -> None:
    tokens = TokenTable().with_token("writer-token-0123456789", Role.WRITE, "ci")
    with serve_app(create_app(service, tokens=tokens, limits=LIMITS)) as served:
        answer = httpx.post(f"{served}/api/v1/events", content=b"x" * 4096)
    assert answer.status_code == 401


def test_http_transport_cuts_big_batches_under_the_limit(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("runstream.log.http.MAX_POST_BYTES", 1024)
    events = [
        Event("TagsSet", {"run_id": "run-1", "keys": ["k"], "values": ["v" * 400]})
        for _ in range(8)
    ]
    records = [Record(e.topic, e.key, encode(e)) for e in events]
    # Together they are past the API's 2048 bytes; one POST each pair is not.
    assert sum(len(r.value) for r in records) > LIMITS.max_body_bytes
    transport = HttpEventLog(url)
    positions = transport.append(records)
    transport.close()
    assert [p.offset for p in positions] == list(range(8))


def test_http_transport_reports_what_reached_the_log(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("runstream.log.http.MAX_POST_BYTES", 1024)
    small = Event("TagsSet", {"run_id": "run-1", "keys": ["k"], "values": ["v"]})
    large = Event("TagsSet", {"run_id": "run-1", "keys": ["k"], "values": ["v" * 3000]})
    records = [Record(e.topic, e.key, encode(e)) for e in (small, small, large)]
    transport = HttpEventLog(url)
    with pytest.raises(PartialAppendError, match="413") as raised:
        transport.append(records)
    transport.close()
    # The first POST (both small records) is on the log; the refused one is not.
    appended = raised.value.appended
    assert [p.offset if p else None for p in appended] == [0, 1, None]
