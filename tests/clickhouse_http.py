"""A ClickHouse HTTP interface served from chDB, for tests of the server mode.

No ClickHouse server can be installed on these machines, so this module answers
what clickhouse-connect's HTTP client sends (``/ping``; the query in the ``query``
URL parameter, the request body or a multipart form; ``param_*`` bind parameters;
settings as URL parameters; ``INSERT ... FORMAT Native`` with the data in the body,
compressed or not, chunked or not) by running it on a chDB session, with the
headers the client reads (``X-ClickHouse-Format``, ``-Summary``, ``-Query-Id``,
``-Exception-Code``) and errors as ``Code: N. DB::Exception: ...`` text.

It runs as a process of its own, because chDB allows one engine per process and
the test process has one already:

    python tests/clickhouse_http.py DATA_DIR PORT

``ChdbHttpServer`` starts and stops that process; started again on the same data
folder it finds the same port and the same tables, so a test can take "ClickHouse"
down and bring it back.
"""

from __future__ import annotations

import email.parser
import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# URL parameters that steer the HTTP exchange rather than the engine.
TRANSPORT = {
    "query", "database", "default_format", "session_id", "session_timeout",
    "session_check", "compress", "decompress", "query_id", "quota_key",
    "wait_end_of_query", "client_protocol_version", "role", "buffer_size",
    "enable_http_compression", "send_progress_in_http_headers",
    "http_headers_progress_interval_ms", "user", "password",
}  # fmt: skip
_INSERT = re.compile(
    rb"\A\s*INSERT\s+INTO\s+(?P<target>.+?)\s+FORMAT\s+(?P<fmt>\w+)[ \t]*(?:\r?\n|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_TRAILING_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*\Z", re.IGNORECASE)
_CODE = re.compile(r"Code: (\d+)")


class Engine:
    """One chDB session, used by one request at a time."""

    def __init__(self, path: Path) -> None:
        from chdb import session

        self.session = session.Session(str(path))
        self.lock = threading.Lock()
        self.database = "default"
        (timezone,) = self.run("SELECT timezone()", "TabSeparated")[0].split()
        self.timezone = timezone

    def run(
        self,
        sql: str,
        fmt: str,
        params: dict[str, str] | None = None,
        settings: dict[str, str] | None = None,
        database: str = "default",
    ) -> tuple[str, bytes, dict[str, str]]:
        """``sql`` on the session: (first line of text, body, summary)."""
        with self.lock:
            if database != self.database:
                self.session.query(f"USE `{database}`", "TabSeparated")
                self.database = database
            for name, value in (settings or {}).items():
                self.session.query(f"SET {name} = {_literal(value)}", "TabSeparated")
            try:
                result = self.session.query(sql, fmt, params=params or {})
            finally:
                for name in settings or {}:
                    self.session.query(f"SET {name} = DEFAULT", "TabSeparated")
        body = result.bytes() or b""
        summary = {
            "read_rows": str(result.rows_read()),
            "read_bytes": str(result.bytes_read()),
            "written_rows": str(result.rows_written()),
            "written_bytes": str(result.bytes_written()),
            "elapsed_ns": str(int(result.elapsed() * 1e9)),
        }
        first = body.split(b"\n", 1)[0].decode(errors="replace")
        return first, body, summary

    def close(self) -> None:
        with self.lock:
            self.session.close()


def _literal(value: str) -> str:
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server does
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test reads the engine's answers, not an access log

    def do_GET(self) -> None:
        if urlsplit(self.path).path.rstrip("/") == "/ping":
            self._reply(200, b"Ok.\n", {"Content-Type": "text/plain"})
            return
        self._query(b"")

    def do_POST(self) -> None:
        self._query(self._body())

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            body = b"".join(chunks)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return _decompress(body, self.headers.get("Content-Encoding"))

    def _query(self, body: bytes) -> None:
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        query_id = params.get("query_id") or str(uuid.uuid4())
        try:
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("multipart/form-data"):
                params |= _form_fields(content_type, body)
                body = b""
            headers, answer = self._execute(params, body)
        except Exception as e:  # every engine error goes back as ClickHouse's text
            text = str(e) if "DB::Exception" in str(e) else f"DB::Exception: {e}"
            code = _CODE.search(text)
            if not text.startswith("Code:"):
                text = f"Code: {code.group(1) if code else 1000}. {text}"
            self._reply(
                500,
                f"{text} (version {self.server.version})\n".encode(),
                {
                    "X-ClickHouse-Exception-Code": code.group(1) if code else "1000",
                    "X-ClickHouse-Query-Id": query_id,
                    "Content-Type": "text/plain; charset=UTF-8",
                },
            )
            return
        headers["X-ClickHouse-Query-Id"] = query_id
        headers["X-ClickHouse-Timezone"] = self.server.engine.timezone
        self._reply(200, answer, headers)

    def _execute(
        self, params: dict[str, str], body: bytes
    ) -> tuple[dict[str, str], bytes]:
        sql = params.get("query", "").encode()
        text = sql + b"\n" + body if sql and body else sql or body
        binds = {k[6:]: v for k, v in params.items() if k.startswith("param_")}
        settings = {
            k: v
            for k, v in params.items()
            if k not in TRANSPORT and not k.startswith("param_")
        }
        database = params.get("database") or "default"
        engine = self.server.engine

        insert = _INSERT.match(text)
        if insert and text[insert.end() :]:
            # chDB takes insert data from a file; the body is exactly that file.
            with tempfile.NamedTemporaryFile(suffix=".data", delete=False) as data:
                data.write(text[insert.end() :])
            try:
                target = insert["target"].decode()
                fmt = insert["fmt"].decode()
                statement = (
                    f"INSERT INTO {target} FROM INFILE '{data.name}' FORMAT {fmt}"
                )
                _, _, summary = engine.run(statement, "TabSeparated", None, settings,
                                           database)  # fmt: skip
            finally:
                os.unlink(data.name)
            return {"X-ClickHouse-Summary": json.dumps(summary)}, b""

        statement = text.decode()
        embedded = _TRAILING_FORMAT.search(statement)
        fmt = embedded.group(1) if embedded else params.get("default_format")
        if fmt:
            _, answer, summary = engine.run(statement, fmt, binds, settings, database)
            return {
                "X-ClickHouse-Format": fmt,
                "X-ClickHouse-Summary": json.dumps(summary),
                "Content-Type": "application/octet-stream",
            }, answer
        # ClickHouse names a format only for statements that return rows; with
        # names on, such a statement writes at least its header line.
        _, answer, summary = engine.run(statement, "TabSeparatedWithNames", binds,
                                        settings, database)  # fmt: skip
        headers = {"X-ClickHouse-Summary": json.dumps(summary)}
        if not answer:
            return headers, b""
        headers["X-ClickHouse-Format"] = "TabSeparated"
        headers["Content-Type"] = "text/tab-separated-values; charset=UTF-8"
        return headers, answer.split(b"\n", 1)[1]

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _decompress(body: bytes, encoding: str | None) -> bytes:
    """The body as sent before the client compressed it (Content-Encoding)."""
    if not encoding or encoding == "identity":
        return body
    if encoding == "lz4":
        import lz4.frame

        # The client compresses block by block: one frame after another.
        out = []
        while body:
            frames = lz4.frame.LZ4FrameDecompressor()
            out.append(frames.decompress(body))
            body = frames.unused_data
        return b"".join(out)
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    raise ValueError(f"Content-Encoding {encoding!r} is not supported here")


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser().parsebytes(head + body)
    fields = {}
    for part in message.get_payload():  # type: ignore[union-attr]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = payload.decode()
    return fields


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, engine: Engine) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.engine = engine
        self.version = "26.9-chdb"


def serve(path: Path, port: int) -> None:
    engine = Engine(path)
    server = Server(port, engine)
    stopping = threading.Event()

    def shut_down(*_: object) -> None:
        stopping.set()
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, shut_down)
    print(f"serving 127.0.0.1:{port} data={path}", flush=True)
    server.serve_forever()
    server.server_close()
    engine.close()


class ChdbHttpServer:
    """The stand-in as a process of its own; ``stop`` and ``start`` again keep
    the data folder and the port, as a restarted ClickHouse server would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> ChdbHttpServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, __file__, str(self.folder / "data"), str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"chDB HTTP server exited {self.process.returncode}; see "
                    f"{self.folder / 'server.log'}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chDB HTTP server did not answer on {self.url}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]))
