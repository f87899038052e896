"""RUNSTREAM_API_URL pointing at a server that is not runstream's query API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runstream.errors import StoreError
from runstream.reads import QueryApi


class _NotRunstream(BaseHTTPRequestHandler):
    """A web server of another kind: HTML pages, and no POST."""

    def do_GET(self) -> None:
        self._answer(500, b"<html><body>Internal error</body></html>")

    def do_POST(self) -> None:
        self._answer(405, b"<html><body>Method Not Allowed</body></html>")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def elsewhere() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotRunstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_server_on_the_api_address_is_named(
    elsewhere: str, method: str
) -> None:
    with pytest.raises(StoreError) as raised:
        QueryApi(elsewhere)._request(method, "/runs/search")
    message = str(raised.value)
    assert f"is {elsewhere}/ a runstream server?" in message
    assert "RUNSTREAM_API_URL" in message
