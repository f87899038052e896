"""How the ``http://`` transport reads the API's refusals: a refused token or a
request the API rejects is permanent (not EventLogError, which the SDK retries
until the log is back); an unavailable log is worth retrying."""

from __future__ import annotations

import httpx
import pytest

from runstream.errors import AuthError, EventLogError, InvalidInputError
from runstream.log.base import Record
from runstream.log.http import HttpEventLog

TOKEN = "writer-token-never-shown-0123"
RECORD = Record("runstream.tracking", "run-1", b"event")


def answering(status: int, detail: str) -> HttpEventLog:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return httpx.Response(status, json={"detail": detail})

    log = HttpEventLog("http://api.test")
    log._client = httpx.Client(
        base_url=log.base_url,
        transport=httpx.MockTransport(handler),
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    return log


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthError),
        (403, AuthError),
        (400, InvalidInputError),
        (413, InvalidInputError),
        (404, InvalidInputError),
        (429, EventLogError),
        (503, EventLogError),
    ],
)
def test_refusals_are_permanent_unless_retrying_can_help(
    status: int, error: type[Exception]
) -> None:
    log = answering(status, "POST /api/v1/events needs the write role")
    with pytest.raises(error) as raised:
        log.append([RECORD])
    message = str(raised.value)
    assert type(raised.value) is error
    assert f"{status}: " in message and "needs the write role" in message
    assert TOKEN not in message
    if error is AuthError:
        assert "set RUNSTREAM_TOKEN to a token with the write role" in message
