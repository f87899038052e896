"""``create_app``: the query API around a projection service."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import runstream
from runstream.api import mlflow
from runstream.api.auth import AuthMiddleware
from runstream.api.body_limit import BodyLimitMiddleware
from runstream.api.errors import install_error_handlers
from runstream.api.landing import landing_page
from runstream.api.routes import (
    artifacts,
    events,
    experiments,
    exports,
    health,
    history,
    metric_history,
    metrics,
    registry,
    runs,
    search,
    states,
)
from runstream.auth import TokenTable
from runstream.consumers.replay_jobs import ReplayJobs
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import StateCatalog
from runstream.settings import ApiSettings, load_api_settings, load_auth_settings

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(
    service: ProjectionService,
    *,
    tokens: TokenTable | None = None,
    limits: ApiSettings | None = None,
) -> FastAPI:
    """A FastAPI app that reads ``service``'s projections; only its MLflow REST
    API writes, by appending events to the log. It neither starts nor stops the
    service. ``tokens`` and ``limits`` default to RUNSTREAM_AUTH_* and
    RUNSTREAM_API_* (docs/security.md)."""
    app = FastAPI(
        title="runstream query API",
        version=runstream.__version__,
        description="Read-only access to runs, metrics and artifacts projected "
        "from the runstream event log.",
    )
    app.state.service = service
    install_error_handlers(app)
    # search comes first: its /experiments/by-name and /runs/search must not be
    # taken for an experiment or run id.
    for module in (search, health, experiments, runs, metrics, artifacts, events):
        app.include_router(module.router, prefix=API_PREFIX)
    for module in (exports, history, states, metric_history, registry):
        app.include_router(module.router, prefix=API_PREFIX)
    app.state.states = StateCatalog(service.store, service.blobs)
    app.state.replays = ReplayJobs(service, app.state.states)

    dashboard_url = service.settings.dashboard_url

    @app.get("/", include_in_schema=False)
    def root(request: Request) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(landing_page(dashboard_url))
        return RedirectResponse(dashboard_url, status_code=307)

    mlflow.install(app)  # last: it answers every other path under its prefixes

    # Added last, so outermost: a request without a token is refused before
    # any of its body is read.
    app.add_middleware(BodyLimitMiddleware, settings=limits or load_api_settings())
    tokens = tokens if tokens is not None else TokenTable.load(load_auth_settings())
    app.add_middleware(AuthMiddleware, tokens=tokens)

    logger.info(
        "query API ready dashboard_url=%s auth=%s",
        dashboard_url,
        "on" if tokens.enabled else "off",
    )
    return app
