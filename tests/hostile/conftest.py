"""Fixtures for hostile-input tests: a running service seeded with a few runs, so
fuzzed lookups can hit real rows as well as miss them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hostile_seed import Seeded, seed_runs

import runstream
from runstream.api import create_app
from runstream.consumers.service import ProjectionService


@pytest.fixture
def client(service: ProjectionService) -> Iterator[TestClient]:
    """An app over an empty service, for requests that need no rows."""
    with TestClient(create_app(service), raise_server_exceptions=False) as test:
        yield test


@pytest.fixture
def seeded(service: ProjectionService) -> Iterator[Seeded]:
    """An app over a started service holding two experiments, two finished runs
    with params, tags, metrics and an artifact, and one registered model."""
    run_ids, experiment_ids = seed_runs()
    runstream.flush()
    service.catch_up()
    # MLflow writes wait for the consumer to apply them, so it must be running.
    service.start()
    app = create_app(service)
    with TestClient(app, raise_server_exceptions=False) as client:
        created = client.post(
            "/api/2.0/mlflow/registered-models/create", json={"name": "hostile-model"}
        )
        assert created.status_code == 200, created.text
        yield Seeded(
            app=app,
            client=client,
            service=service,
            run_ids=tuple(run_ids),
            experiment_ids=tuple(experiment_ids),
            experiment_names=("hostile-a", "hostile-b"),
            metric_keys=("loss", "rank0/acc"),
            model_names=("hostile-model",),
        )
