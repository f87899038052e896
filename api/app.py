"""``create_app``: the query API around a projection service."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

import runstream
from runstream.api import mlflow
from runstream.api.errors import install_error_handlers
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
from runstream.consumers.replay_jobs import ReplayJobs
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import StateCatalog

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(service: ProjectionService) -> FastAPI:
    """A FastAPI app that reads ``service``'s projections; only its MLflow REST
    API writes, by appending events to the log. It neither starts nor stops the
    service."""
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
    def root() -> RedirectResponse:
        return RedirectResponse(dashboard_url, status_code=307)

    mlflow.install(app)  # last: it answers every other path under its prefixes

    logger.info("query API ready dashboard_url=%s", dashboard_url)
    return app
