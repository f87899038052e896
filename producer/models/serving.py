"""The scoring server: a FastAPI app around one loaded model.

    GET  /ping, /health   200 once the model is loaded
    GET  /version         the runstream version
    POST /invocations     JSON (see ``payloads``) or CSV in, {"predictions": ...} out

Input that does not fit the model's signature gets a 400 whose message names the
column and says why, in MLflow's error shape ``{"error_code", "message"}``; so does
input the model's own predict refuses (a NaN, an infinity). Any other failure of
the model answers 500 with its exception in the message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

import runstream
from runstream.errors import InvalidInputError, RunstreamError
from runstream.models import payloads
from runstream.models.pyfunc import PyFuncModel

logger = logging.getLogger(__name__)

JSON_TYPES = ("application/json", "")
CSV_TYPES = ("text/csv", "application/csv")


class ModelFailedError(RunstreamError):
    """The model's own predict raised on input that fit its signature."""


def score(model: PyFuncModel, data: Any, params: dict[str, Any] | None) -> Any:
    """``model.predict``, with what the model itself raises translated: a
    ValueError or TypeError (a NaN, an infinity, a value the model cannot take)
    is the input's fault, anything else the model's."""
    try:
        return model.predict(data, params=params)
    except InvalidInputError:
        raise
    except (ValueError, TypeError) as e:
        raise InvalidInputError(
            f"the model refused the input: {type(e).__name__}: {e}; check it for "
            "missing (NaN) or infinite values and for values of the wrong type"
        ) from e
    except Exception as e:
        raise ModelFailedError(
            f"the model failed to predict: {type(e).__name__}: {e}"
        ) from e


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


def create_scoring_app(model: PyFuncModel) -> FastAPI:
    app = FastAPI(
        title="runstream model server",
        version=runstream.__version__,
        description=f"Predictions from the model at {model.path}.",
    )

    @app.get("/ping", response_class=PlainTextResponse)
    @app.get("/health", response_class=PlainTextResponse)
    def ping() -> str:
        return "\n"

    @app.get("/version", response_class=PlainTextResponse)
    def version() -> str:
        return runstream.__version__

    @app.post("/invocations")
    async def invocations(request: Request) -> JSONResponse:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        body = await request.body()
        try:
            if content_type in JSON_TYPES:
                data, params = payloads.parse_json(body)
            elif content_type in CSV_TYPES:
                data, params = payloads.parse_csv(body), None
            else:
                return _error(
                    415,
                    "BAD_REQUEST",
                    f"content type {content_type!r} is not accepted; send "
                    "application/json or text/csv",
                )
            result = score(model, data, params)
        except InvalidInputError as e:
            logger.info("scoring request refused: %s", e)
            return _error(400, "BAD_REQUEST", str(e))
        except ModelFailedError as e:
            logger.exception("scoring request failed")
            return _error(500, "INTERNAL_ERROR", str(e))
        return JSONResponse(payloads.predictions_json(result))

    logger.info("scoring app ready model=%s", model.path)
    return app
