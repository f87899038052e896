"""Finding experiments, runs and models for the MLflow endpoints, with MLflow's
errors when they are missing or deleted, and assembling whole entities."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from runstream.api import queries, tracking_queries
from runstream.api.mlflow import model_reads, reads, render
from runstream.api.mlflow.errors import invalid, not_found
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService

T = TypeVar("T")


def _find(service: ProjectionService, find: Callable[[], T | None]) -> T | None:
    """``find()``, and on a miss once more after the projection caught up: a
    create answered "pending" (the projection was behind) must not make the
    client's next call on what it created fail."""
    found = find()
    if found is None and service.wait_caught_up(service.settings.write_wait_s):
        found = find()
    return found


def require_experiment(
    service: ProjectionService, experiment_id: str, active: bool = False
) -> dict[str, Any]:
    row = _find(service, lambda: reads.experiment(service.store, experiment_id))
    if row is None:
        raise not_found(
            f"No Experiment with id={experiment_id} exists; list experiments with "
            "experiments/search"
        )
    if active and row["lifecycle_stage"] != "active":
        raise invalid(
            f"The experiment {experiment_id} must be in the 'active' state. Current "
            f"state is {row['lifecycle_stage']}; restore it first"
        )
    return row


def require_run(
    service: ProjectionService, run_id: str, active: bool = False
) -> dict[str, Any]:
    if not run_id:
        raise invalid("Missing value for required parameter 'run_id'")
    row = _find(service, lambda: queries.get_run(service.store, run_id))
    if row is None:
        raise not_found(f"Run with id={run_id} not found")
    if active and row["lifecycle_stage"] != "active":
        raise invalid(
            f"The run {run_id} must be in the 'active' state. Current state is "
            f"{row['lifecycle_stage']}; restore it first"
        )
    return row


def require_model(store: ClickHouseStore, model_id: str) -> dict[str, Any]:
    row = model_reads.model(store, model_id)
    if row is None or row["lifecycle_stage"] != "active":
        raise not_found(f"Logged model with ID '{model_id}' not found")
    return row


def experiments_json(
    store: ClickHouseStore, rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    tags = tracking_queries.experiment_tags_of(
        store, [row["experiment_id"] for row in rows]
    )
    return [render.experiment(row, tags.get(row["experiment_id"], {})) for row in rows]


def run_infos(
    store: ClickHouseStore, rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    locations = reads.experiment_locations(store, [r["experiment_id"] for r in rows])
    return [
        render.run_info(
            row,
            render.experiment_location(
                row["experiment_id"], locations.get(row["experiment_id"], "")
            ),
        )
        for row in rows
    ]


def runs_json(
    store: ClickHouseStore, rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Whole runs (info, params, tags, latest metrics, inputs, outputs): a fixed
    number of queries however many runs there are."""
    run_ids = [row["run_id"] for row in rows]
    params = queries.params_of(store, run_ids)
    tags = queries.tags_of(store, run_ids)
    metrics = reads.latest_metrics(store, run_ids)
    inputs = reads.dataset_inputs(store, run_ids)
    outputs = reads.model_outputs(store, run_ids)

    runs = []
    for row, info in zip(rows, run_infos(store, rows), strict=True):
        run_id = row["run_id"]
        runs.append(
            render.run(
                info,
                params.get(run_id, {}),
                tags.get(run_id, {}),
                [render.metric(*point) for point in metrics.get(run_id, [])],
                [render.dataset_input(d) for d in inputs.get(run_id, [])],
                outputs.get(run_id, []),
            )
        )
    return runs


def models_json(
    store: ClickHouseStore, rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    model_ids = [row["model_id"] for row in rows]
    tags = model_reads.model_tags(store, model_ids)
    params = model_reads.model_params(store, model_ids)
    return [
        render.model(
            row, tags.get(row["model_id"], {}), params.get(row["model_id"], {})
        )
        for row in rows
    ]
