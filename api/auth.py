"""Bearer-token authentication of every API route, as ASGI middleware.

Off unless the server knows tokens (``runstream.auth.TokenTable``). When on:

    open   GET /api/v1/health (load balancers probe it), GET / (a redirect)
    read   every other GET and HEAD; POSTs that only search
           (``.../search``, MLflow's ``registered-models/get-latest-versions``)
    admin  POST /api/v1/replays, DELETE /api/v1/states/{name}: operator work
    write  every other request: MLflow REST writes, POST /api/v1/events,
           artifact uploads (PUT) and multipart uploads

A missing token is answered 401 with ``WWW-Authenticate: Bearer``, and so is an
unknown one, saying that it is unknown; a known token whose role is too low, 403.
Each says how to fix it, never echoes the token, and on MLflow's paths comes in
MLflow's error shape. MLflow's client sends ``MLFLOW_TRACKING_TOKEN`` as a bearer
token, or ``MLFLOW_TRACKING_USERNAME`` and ``_PASSWORD`` as basic auth: the password
is taken as the token, the user name is ignored.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from runstream.api.asgi_errors import send_error
from runstream.auth import Role, TokenTable

logger = logging.getLogger(__name__)

_OPEN = {("GET", "/api/v1/health"), ("HEAD", "/api/v1/health"), ("GET", "/")}
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_READ_POSTS = re.compile(r"/search$|/registered-models/get-latest-versions$")
_ADMIN = (
    ("POST", re.compile(r"^/api/v1/replays/?$")),
    ("DELETE", re.compile(r"^/api/v1/states/[^/]+$")),
)
HOW_TO_PASS = (
    "send 'Authorization: Bearer <token>': the runstream SDK and dashboard read "
    "the token from RUNSTREAM_TOKEN, the mlflow client from MLFLOW_TRACKING_TOKEN "
    "(or MLFLOW_TRACKING_PASSWORD)"
)
HOW_TO_FIX_UNKNOWN = (
    "check that RUNSTREAM_TOKEN (runstream SDK, dashboard, CLI) or "
    "MLFLOW_TRACKING_TOKEN (mlflow client) holds a token listed in the server's "
    "RUNSTREAM_AUTH_TOKENS or RUNSTREAM_AUTH_TOKENS_FILE, or ask its operator for one"
)


def required_role(method: str, path: str) -> Role | None:
    """The least role a request needs; None for the open routes."""
    if (method, path) in _OPEN:
        return None
    for admin_method, pattern in _ADMIN:
        if method == admin_method and pattern.match(path):
            return Role.ADMIN
    if method in _READ_METHODS or (method == "POST" and _READ_POSTS.search(path)):
        return Role.READ
    return Role.WRITE


def presented_token(authorization: str) -> str | None:
    """The token in an ``Authorization`` header: a bearer token, or the password
    of basic auth (what the mlflow client sends with MLFLOW_TRACKING_PASSWORD)."""
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, colon, password = decoded.partition(":")
        return password if colon and password else None
    return None


class AuthMiddleware:
    """Refuses requests whose token is missing, unknown or too weak."""

    def __init__(self, app: ASGIApp, tokens: TokenTable) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.tokens.enabled:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        needed = required_role(method, path)
        if needed is None:
            await self.app(scope, receive, send)
            return

        token = _token(scope)
        principal = self.tokens.authenticate(token) if token else None
        if principal is None:
            if token is None:
                logger.info("refused unauthenticated request %s %s", method, path)
                message = f"{method} {path} needs a token; {HOW_TO_PASS}"
            else:
                # Never echo it: a mistyped token is often one character off a
                # real one.
                logger.info("refused unknown token %s %s", method, path)
                message = (
                    f"{method} {path}: the token presented is not one this API "
                    f"knows; {HOW_TO_FIX_UNKNOWN}"
                )
            await _refuse(send, path, 401, message)
            return
        if principal.role < needed:
            logger.info(
                "refused %s %s name=%s role=%s needed=%s",
                method,
                path,
                principal.name,
                principal.role.label,
                needed.label,
            )
            message = (
                f"{method} {path} needs the {needed.label} role; the token of "
                f"{principal.name!r} has the {principal.role.label} role. Ask an "
                f"operator for a token with the {needed.label} role"
            )
            await _refuse(send, path, 403, message)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return presented_token(value.decode("latin-1"))
    return None


async def _refuse(send: Send, path: str, status: int, message: str) -> None:
    code = "UNAUTHENTICATED" if status == 401 else "PERMISSION_DENIED"
    challenge = [(b"www-authenticate", b'Bearer realm="runstream"')]
    await send_error(
        send, path, status, code, message, challenge if status == 401 else ()
    )
