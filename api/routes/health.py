"""``GET /api/v1/health``: is the store reachable and the consumer keeping up?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from runstream.api.deps import ServiceDep

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    responses={
        200: {"description": "status is ok"},
        503: {"description": "status is degraded: the store or the consumer failed"},
    },
)
def health(service: ServiceDep) -> JSONResponse:
    """The projection service's health: store, consumer, lag per partition and
    dead letters. A load balancer can route on the status code alone."""
    report: dict[str, Any] = service.health()
    status_code = 200 if report.get("status") == "ok" else 503
    return JSONResponse(report, status_code=status_code)
