"""Error answers that ASGI middleware sends itself, before any route runs.

They keep the shape their caller reads, as the route errors do: MLflow's
``{"error_code", "message"}`` under its prefixes, ``{"detail"}`` elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import Send

from runstream.api.mlflow import MLFLOW_PREFIXES


async def send_error(
    send: Send,
    path: str,
    status: int,
    mlflow_code: str,
    message: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer ``status`` with ``message``; ``mlflow_code`` is the error code
    MLflow's clients read under its prefixes."""
    if path.startswith(MLFLOW_PREFIXES):
        body: dict[str, str] = {"error_code": mlflow_code, "message": message}
    else:
        body = {"detail": message}
    payload = json.dumps(body).encode()
    start = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": payload})
