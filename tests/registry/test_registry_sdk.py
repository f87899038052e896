"""The SDK end to end in one process: log a model in a run, register it, load it
by every kind of URI through a live query API."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

import runstream
from runstream.consumers.service import ProjectionService
from runstream.errors import NotFoundError
from runstream.models import load_model, log_model
from runstream.registry import get_registry_client, register_model


@pytest.fixture
def logged(api_url: str, running: ProjectionService) -> tuple[str, Ridge, np.ndarray]:
    X, y = load_diabetes(return_X_y=True)
    model = Ridge(alpha=0.1).fit(X, y)
    with runstream.start_run() as run:
        info = log_model(model, "model", input_example=X[:2])
    assert info.model_uri == f"runs:/{run.info.run_id}/model"
    return run.info.run_id, model, X


def test_log_model_records_the_files_and_a_model_logged_event(
    logged: tuple[str, Ridge, np.ndarray], running: ProjectionService
) -> None:
    run_id, model, X = logged
    store = running.store
    runstream.flush()

    def logged_models() -> list[dict[str, object]]:
        return store.query(
            f"SELECT artifact_path, flavors FROM {store.table('logged_models')} "
            "FINAL WHERE run_id = {r:String}",
            {"r": run_id},
        )

    deadline = time.monotonic() + 30
    while not logged_models() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logged_models() == [
        {"artifact_path": "model", "flavors": ["python_function", "sklearn"]}
    ]
    loaded = load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(loaded.predict(X[:3]), model.predict(X[:3]))


def test_register_and_load_by_version_stage_alias_and_latest(
    logged: tuple[str, Ridge, np.ndarray], tmp_path: Path
) -> None:
    run_id, model, X = logged
    version = register_model(f"runs:/{run_id}/model", "diabetes")
    assert (version.version, version.run_id) == (1, run_id)
    client = get_registry_client()
    client.transition_model_version_stage("diabetes", 1, "Production")
    client.set_registered_model_alias("diabetes", "champion", 1)

    expected = model.predict(X[:2])
    for uri in (
        "models:/diabetes/1",
        "models:/diabetes/production",
        "models:/diabetes@champion",
        "models:/diabetes/latest",
    ):
        loaded = load_model(uri, dst_path=tmp_path / uri.replace("/", "_"))
        np.testing.assert_allclose(loaded.predict(X[:2]), expected)
    with pytest.raises(NotFoundError, match="no version in stage Staging"):
        load_model("models:/diabetes/Staging")


def test_log_model_can_register_at_once(api_url: str) -> None:
    X, y = load_diabetes(return_X_y=True)
    with runstream.start_run():
        info = log_model(Ridge().fit(X, y), "m", registered_model_name="reg")
    assert info.registered_model_version == 1
    versions = get_registry_client().get_latest_versions("reg")
    assert versions[0].source == info.model_uri


def test_registering_a_run_without_that_model_says_so(
    api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = get_registry_client()
    monkeypatch.setattr(client, "wait_s", 0.3)
    with pytest.raises(NotFoundError, match="log one with runstream.log_model"):
        register_model("runs:/no-such-run/model", "x", client=client)
