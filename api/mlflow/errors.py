"""Errors in MLflow's shape, so the mlflow client raises what its users catch.

An MLflow error answer is ``{"error_code": ..., "message": ...}`` with the HTTP
status MLflow pairs with that code; the client turns it into an ``MlflowException``
carrying the same ``error_code``. Every route of this package is an
:class:`MlflowRoute`, which translates at the boundary:

    MlflowError                 -> its own code and status
    RequestValidationError      -> INVALID_PARAMETER_VALUE  400
    HTTPException 4xx           -> INVALID_PARAMETER_VALUE  its status (a body that
                                   is not JSON), RESOURCE_DOES_NOT_EXIST for a 404
    InvalidInputError           -> INVALID_PARAMETER_VALUE  400
    NotFoundError               -> RESOURCE_DOES_NOT_EXIST  404
    AlreadyExistsError          -> RESOURCE_ALREADY_EXISTS  400
    StoreError, EventLogError   -> TEMPORARILY_UNAVAILABLE  503 (the client retries)
    ProjectionTimeoutError      -> TEMPORARILY_UNAVAILABLE  503
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from runstream.errors import (
    AlreadyExistsError,
    EventLogError,
    InvalidInputError,
    NotFoundError,
    ProjectionTimeoutError,
    StoreError,
)

logger = logging.getLogger(__name__)

RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
INTERNAL_ERROR = "INTERNAL_ERROR"

# The statuses MLflow's server answers each code with.
HTTP_STATUS = {
    RESOURCE_DOES_NOT_EXIST: 404,
    INVALID_PARAMETER_VALUE: 400,
    RESOURCE_ALREADY_EXISTS: 400,
    ENDPOINT_NOT_FOUND: 404,
    TEMPORARILY_UNAVAILABLE: 503,
    NOT_IMPLEMENTED: 501,
    INTERNAL_ERROR: 500,
}


class MlflowError(Exception):
    """An error to answer in MLflow's shape; ``status`` overrides the status
    MLflow pairs with the code (a 413 is still INVALID_PARAMETER_VALUE)."""

    def __init__(self, error_code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status

    @property
    def status_code(self) -> int:
        return self.status or HTTP_STATUS.get(self.error_code, 500)


def not_found(message: str) -> MlflowError:
    return MlflowError(RESOURCE_DOES_NOT_EXIST, message)


def invalid(message: str) -> MlflowError:
    return MlflowError(INVALID_PARAMETER_VALUE, message)


def already_exists(message: str) -> MlflowError:
    return MlflowError(RESOURCE_ALREADY_EXISTS, message)


def error_response(error: MlflowError) -> JSONResponse:
    return JSONResponse(
        {"error_code": error.error_code, "message": error.message},
        status_code=error.status_code,
    )


def _validation_message(error: RequestValidationError) -> str:
    problems = []
    for problem in error.errors():
        if problem.get("type") == "json_invalid":
            # Its location is a character position, not a field.
            position = problem.get("loc", ("body", "?"))[-1]
            reason = problem.get("ctx", {}).get("error", "JSON decode error")
            problems.append(
                f"the body is not valid JSON (character {position}: {reason}); "
                "send one JSON object with the fields of this endpoint"
            )
            continue
        where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
        problems.append(f"{where or 'request'}: {problem.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(problems)


def _http_error(error: StarletteHTTPException) -> MlflowError | None:
    """FastAPI's own 4xx answers (a body that is not JSON, a route not matched)."""
    status = error.status_code
    if not 400 <= status < 500:
        return None
    detail = error.detail if isinstance(error.detail, str) else repr(error.detail)
    if status == 404:
        return MlflowError(RESOURCE_DOES_NOT_EXIST, detail, status)
    if detail == "There was an error parsing the body":
        detail = (
            "the request body is not valid JSON (or not the form data the "
            "endpoint takes); send a JSON object as MLflow's client does"
        )
    return MlflowError(INVALID_PARAMETER_VALUE, detail, status)


def translate(error: Exception) -> MlflowError | None:
    """The MLflow error for a runstream or request error; None for the others."""
    if isinstance(error, MlflowError):
        return error
    if isinstance(error, RequestValidationError):
        return invalid(_validation_message(error))
    if isinstance(error, StarletteHTTPException):
        return _http_error(error)
    if isinstance(error, InvalidInputError):
        return invalid(str(error))
    if isinstance(error, NotFoundError):
        return not_found(str(error))
    if isinstance(error, AlreadyExistsError):
        return already_exists(str(error))
    if isinstance(error, StoreError | EventLogError):
        return MlflowError(
            TEMPORARILY_UNAVAILABLE,
            f"{error}; the store is unavailable, see GET /api/v1/health and retry",
        )
    if isinstance(error, ProjectionTimeoutError):
        # The event is on the log; the registry projection is only behind.
        return MlflowError(TEMPORARILY_UNAVAILABLE, str(error))
    return None


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class MlflowRoute(APIRoute):
    """A route whose errors leave in MLflow's shape (see the module docstring)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def translated(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as e:
                error = translate(e)
                if error is None:
                    raise
                if error.error_code == TEMPORARILY_UNAVAILABLE:
                    logger.warning("store failed path=%s: %s", request.url.path, e)
                return error_response(error)

        return translated
