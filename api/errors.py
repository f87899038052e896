"""How runstream's exceptions become HTTP answers.

InvalidInputError  -> 400  the request broke a rule; the detail says which
FilterSyntaxError  -> 400  also ``text``, ``position`` and ``expected``
NotFoundError      -> 404  nothing by that name (a state, a replay)
ConflictError      -> 409  clashes with work in progress (a replay running)
StoreError         -> 503  ClickHouse or the blob store failed; retry later
HTTPException      -> its status; a path no route serves says so, and under the
                      MLflow prefixes every answer keeps MLflow's shape
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.exceptions import HTTPException as StarletteHTTPException

from runstream.api.mlflow import MLFLOW_PREFIXES
from runstream.api.mlflow.errors import (
    ENDPOINT_NOT_FOUND,
    INTERNAL_ERROR,
    MlflowError,
    translate,
)
from runstream.errors import (
    ConflictError,
    FilterSyntaxError,
    InvalidInputError,
    NotFoundError,
    StoreError,
)

logger = logging.getLogger(__name__)


async def _invalid_input(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def _filter_syntax(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, FilterSyntaxError):
        return await _invalid_input(request, exc)
    body = {
        "detail": str(exc),
        "text": exc.text,
        "position": exc.position,
        "expected": exc.expected,
    }
    return JSONResponse(body, status_code=400)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def _store_failed(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("store failed path=%s error=%s", request.url.path, exc)
    detail = f"{exc}; the store is unavailable, see GET /api/v1/health and retry"
    return JSONResponse({"detail": detail}, status_code=503)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own answers: no route for the path (one holding a newline
    matches none), a wrong method, a body that does not parse."""
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    headers = exc.headers
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=headers)
    path = request.url.path
    detail = exc.detail
    unrouted = detail in ("Not Found", "Method Not Allowed")
    if unrouted:
        detail = (
            f"no route serves {request.method} {path!r}; the API's paths are "
            "listed in /openapi.json"
        )
    if not path.startswith(MLFLOW_PREFIXES):
        return JSONResponse({"detail": detail}, exc.status_code, headers=headers)

    error = None if unrouted else translate(exc)
    if error is None:
        code = ENDPOINT_NOT_FOUND if exc.status_code < 500 else INTERNAL_ERROR
        error = MlflowError(code, str(detail), exc.status_code)
    body = {"error_code": error.error_code, "message": error.message}
    return JSONResponse(body, error.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(FilterSyntaxError, _filter_syntax)
    app.add_exception_handler(StoreError, _store_failed)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(StarletteHTTPException, _http_error)
