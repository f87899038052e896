"""``GET /api/v1/experiments``."""

from __future__ import annotations

from fastapi import APIRouter

from runstream.api import queries
from runstream.api.deps import StateDep
from runstream.api.models import Experiment, ExperimentList

router = APIRouter(tags=["experiments"])


@router.get("/experiments")
def list_experiments(state: StateDep) -> ExperimentList:
    """Every experiment, sorted by name."""
    rows = queries.list_experiments(state.store)
    return ExperimentList(experiments=[Experiment(**row) for row in rows])
