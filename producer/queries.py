"""The fluent API's reads: ``runstream.search_runs(...)``, ``runstream.get_run(...)``.

They read through the query API (see ``reads.py``); ``search_runs`` follows page
tokens itself and returns a pandas DataFrame like ``mlflow.search_runs``, or run
objects with ``output_format="list"``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from runstream.context import state
from runstream.entities import Experiment, FileInfo, Metric, PagedList, Run
from runstream.errors import InvalidInputError
from runstream.experiments import experiment_id_for
from runstream.reads import QueryApi
from runstream.search_frame import runs_frame

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

PAGE_SIZE = 10_000


def get_run(run_id: str) -> Run:
    return QueryApi().get_run(run_id)


def get_experiment(experiment_id: str) -> Experiment:
    return QueryApi().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return QueryApi().get_experiment_by_name(name)


def search_experiments(
    view_type: str = "ACTIVE_ONLY",
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Every matching experiment (up to ``max_results``), following pages."""
    api = QueryApi()
    found: list[Experiment] = []
    token: str | None = None
    while max_results is None or len(found) < max_results:
        want = (
            PAGE_SIZE
            if max_results is None
            else min(PAGE_SIZE, max_results - len(found))
        )
        page = api.search_experiments(filter_string, order_by, want, token, view_type)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: str = "ACTIVE_ONLY",
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Runs matching MLflow's filter grammar, e.g.
    ``"metrics.acc > 0.9 AND params.optimizer = 'adam'"``.

    Without ids or names it searches the active experiment (every experiment with
    ``search_all_experiments=True``).
    """
    if output_format not in ("pandas", "list"):
        raise InvalidInputError(
            f"output_format {output_format!r} must be 'pandas' or 'list'"
        )
    api = QueryApi()
    ids = _experiment_ids(api, experiment_ids, experiment_names, search_all_experiments)
    runs: list[Run] = []
    token: str | None = None
    while len(runs) < max_results:
        want = min(PAGE_SIZE, max_results - len(runs))
        page: PagedList[Run] = api.search_runs(
            ids, filter_string, order_by, want, token, run_view_type
        )
        runs.extend(page)
        token = page.token
        if not token:
            break
    logger.debug("search_runs experiments=%d runs=%d", len(ids), len(runs))
    return runs_frame(runs) if output_format == "pandas" else runs


def _experiment_ids(
    api: QueryApi,
    experiment_ids: Sequence[str] | None,
    experiment_names: Sequence[str] | None,
    search_all: bool,
) -> list[str]:
    if search_all:
        return [e.experiment_id for e in search_experiments(view_type="ALL")]
    ids = [str(i) for i in experiment_ids or ()]
    for name in experiment_names or ():
        # Ask by name: a renamed experiment keeps the id its first name gave it.
        found = api.get_experiment_by_name(name)
        ids.append(found.experiment_id if found else experiment_id_for(name))
    return ids or [state.experiment_id]


def get_metric_history(run_id: str, key: str, rank: int | None = None) -> list[Metric]:
    """Every point of a metric, all ranks merged unless ``rank`` is given."""
    return QueryApi().metric_history(run_id, key, rank)


def list_artifacts(run_id: str, path: str | None = None) -> list[FileInfo]:
    return QueryApi().list_artifacts(run_id, path)


def download_artifacts(
    run_id: str, artifact_path: str = "", dst_path: str | Path | None = None
) -> str:
    """Download a file or folder of a run's artifacts; returns the local path."""
    from runstream.client import RunstreamClient

    return RunstreamClient().download_artifacts(run_id, artifact_path, dst_path)
