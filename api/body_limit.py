"""Request bodies past a limit are answered 413, as ASGI middleware.

Two limits: artifact uploads through the MLflow proxy (``PUT .../mlflow-artifacts/
artifacts/...`` and multipart parts) may reach RUNSTREAM_API_MAX_UPLOAD_BYTES,
every other body RUNSTREAM_API_MAX_BODY_BYTES. A ``Content-Length`` past the limit
is refused before anything is read; a body without one (chunked) is counted as it
streams in and refused once it passes the limit, whatever the route was doing
with it.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runstream.api.asgi_errors import send_error
from runstream.settings import ApiSettings

logger = logging.getLogger(__name__)

_ARTIFACT_PREFIXES = ("/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/")
_UPLOAD_ROUTES = ("artifacts/", "mpu/part/")


class BodyTooLargeError(Exception):
    """Raised inside the app's ``receive`` once the body passed its limit."""


def body_limit(settings: ApiSettings, method: str, path: str) -> tuple[int, str]:
    """The limit on a request's body and the variable that sets it."""
    if method == "PUT":
        for prefix in _ARTIFACT_PREFIXES:
            if path.startswith(prefix) and path[len(prefix) :].startswith(
                _UPLOAD_ROUTES
            ):
                return settings.max_upload_bytes, "RUNSTREAM_API_MAX_UPLOAD_BYTES"
    return settings.max_body_bytes, "RUNSTREAM_API_MAX_BODY_BYTES"


class BodyLimitMiddleware:
    """Answers 413 to a request whose body is larger than its limit."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        limit, variable = body_limit(self.settings, method, path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, method, path, limit, variable)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLargeError(f"request body past {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                # The route answered after its body was cut off (FastAPI turns
                # the failed read into a 400); the 413 below says what happened.
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # Whatever the route made of the cut-off body, the cause is its size.
            if not exceeded or started:
                raise
        if exceeded and not started:
            await _too_large(send, method, path, limit, variable)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(
    send: Send, method: str, path: str, limit: int, variable: str
) -> None:
    logger.info("refused body past limit %s %s limit=%d", method, path, limit)
    message = (
        f"the body of {method} {path} is larger than {limit} bytes; send less, or "
        f"raise the server's {variable}"
    )
    await send_error(
        send, path, 413, "INVALID_PARAMETER_VALUE", message, [(b"connection", b"close")]
    )
