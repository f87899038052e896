"""How runstream's exceptions become HTTP answers.

InvalidInputError  -> 400  the request broke a rule; the detail says which
FilterSyntaxError  -> 400  also ``text``, ``position`` and ``expected``
NotFoundError      -> 404  nothing by that name (a state, a replay)
ConflictError      -> 409  clashes with work in progress (a replay running)
StoreError         -> 503  ClickHouse or the blob store failed; retry later
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(FilterSyntaxError, _filter_syntax)
    app.add_exception_handler(StoreError, _store_failed)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
