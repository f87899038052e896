"""A stand-in MLflow server that keeps nothing and answers at once: what the
unchanged mlflow client reaches against it is the client's own ceiling, so the
ratio of the "mlflow client log_batch" row can be read against it."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.common import free_port

API = "/api/2.0/mlflow"


def _run(experiment_id: str) -> dict[str, Any]:
    run_id = uuid.uuid4().hex
    info = {
        "run_id": run_id,
        "run_uuid": run_id,
        "experiment_id": experiment_id,
        "run_name": "null",
        "status": "RUNNING",
        "start_time": 0,
        "lifecycle_stage": "active",
        "artifact_uri": f"file:///dev/null/{run_id}",
    }
    return {"run": {"info": info, "data": {}}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == f"{API}/experiments/create":
            self._answer({"experiment_id": "1"})
        elif self.path == f"{API}/runs/create":
            self._answer(_run("1"))
        else:  # every write, log-batch included, is taken and dropped
            self._answer({})

    def _answer(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would be most of the work


@contextmanager
def null_mlflow_server() -> Iterator[str]:
    """The URL of a server that answers every MLflow write with success."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
