"""MLflow's REST API on runstream: unchanged ``mlflow`` code runs against it with
``MLFLOW_TRACKING_URI=http://<runstream>:5000``.

Tracking and the Model Registry live under ``/api/2.0/mlflow`` (and
``/ajax-api/2.0/mlflow``, the prefix MLflow's web UI uses), the artifact proxy
under ``/api/2.0/mlflow-artifacts``. Every write becomes events on the log and answers
once the projection applied them (``writes``); errors answer in MLflow's shape
(``errors``). Paths under these prefixes that runstream does not serve answer
``ENDPOINT_NOT_FOUND``, which the client reports as such; so does every path under
``/api/3.0/mlflow``, where MLflow 3 clients find traces, webhooks and the like.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request

from runstream.api.mlflow import (
    artifacts,
    experiments,
    metrics,
    model_versions,
    models,
    multipart,
    registry,
    run_data,
    runs,
)
from runstream.api.mlflow.errors import ENDPOINT_NOT_FOUND, MlflowError, MlflowRoute

logger = logging.getLogger(__name__)

# TODO: traces, prompts, scorers, webhooks and evaluation datasets are not served.

TRACKING_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
ARTIFACT_PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
# MLflow 3's own endpoints: none is served, so none of the 2.0 routes is mounted
# here, but the client must read ENDPOINT_NOT_FOUND rather than a bare 404.
UNSERVED_PREFIXES = ("/api/3.0/mlflow", "/ajax-api/3.0/mlflow")
# Every prefix whose answers, errors included, keep MLflow's shape.
MLFLOW_PREFIXES = (*TRACKING_PREFIXES, *ARTIFACT_PREFIXES, *UNSERVED_PREFIXES)

TRACKING_ROUTERS = (
    experiments.router,
    runs.router,
    run_data.router,
    metrics.router,
    artifacts.router,
    models.router,
    registry.router,
    model_versions.router,
)
ARTIFACT_ROUTERS = (artifacts.proxy, multipart.router)

_unserved = APIRouter(route_class=MlflowRoute)


@_unserved.api_route(
    "/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
def unserved(path: str, request: Request) -> None:
    raise MlflowError(
        ENDPOINT_NOT_FOUND,
        f"runstream does not serve the MLflow endpoint {request.method} "
        f"{request.url.path}",
    )


def install(app: FastAPI) -> None:
    """Serve MLflow's REST API from ``app``. Install it after every other router:
    it answers all remaining paths under its prefixes."""
    for prefixes, routers in (
        (TRACKING_PREFIXES, TRACKING_ROUTERS),
        (ARTIFACT_PREFIXES, ARTIFACT_ROUTERS),
        (UNSERVED_PREFIXES, ()),
    ):
        for prefix in prefixes:
            in_schema = not prefix.startswith("/ajax-api")
            for router in (*routers, _unserved):
                app.include_router(router, prefix=prefix, include_in_schema=in_schema)
    logger.info("MLflow REST API served under %s", ", ".join(TRACKING_PREFIXES))


__all__ = ["MLFLOW_PREFIXES", "install"]
