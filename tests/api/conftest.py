"""Fixtures for the query API tests: an app over the test's projection service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import runstream
from runstream.api import create_app
from runstream.consumers.service import ProjectionService


@pytest.fixture
def client(service: ProjectionService) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def default_experiment() -> Iterator[None]:
    """The SDK keeps the active experiment per process; put the default back so a
    test that sets one does not move the next test's runs."""
    yield
    runstream.set_experiment(experiment_id="0")
