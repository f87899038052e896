"""MLflow's Model Registry with the real client: registering logged models,
registered models, versions, stages, aliases, and loading models by name."""

from __future__ import annotations

import httpx
import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models.model import ModelInfo
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge


@pytest.fixture
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    features, target = load_diabetes(return_X_y=True)
    return features[:50], target[:50]


def _log_ridge(
    features: np.ndarray, target: np.ndarray, alpha: float, name: str | None = None
) -> tuple[ModelInfo, Ridge]:
    """A fitted model logged by a new run; what log_model said, and the model."""
    model = Ridge(alpha=alpha).fit(features, target)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name)
    return info, model


def test_log_model_registers_and_loads_by_name_and_alias(
    client: MlflowClient, diabetes: tuple[np.ndarray, np.ndarray]
) -> None:
    features, target = diabetes
    info, model = _log_ridge(features, target, 0.5, name="diabetes")

    version = client.get_model_version("diabetes", "1")
    assert version.run_id == info.run_id
    assert version.source == f"models:/{info.model_id}"
    assert version.status == "READY"
    assert version.current_stage == "None"

    loaded = mlflow.pyfunc.load_model("models:/diabetes/1")
    np.testing.assert_allclose(
        loaded.predict(features[:5]), model.predict(features[:5])
    )

    client.set_registered_model_alias("diabetes", "champion", "1")
    assert client.get_model_version_by_alias("diabetes", "champion").version == "1"
    by_alias = mlflow.pyfunc.load_model("models:/diabetes@champion")
    np.testing.assert_allclose(
        by_alias.predict(features[:5]), model.predict(features[:5])
    )
    assert client.get_registered_model("diabetes").aliases == {"champion": "1"}

    client.delete_registered_model_alias("diabetes", "champion")
    with pytest.raises(MlflowException) as gone:
        client.get_model_version_by_alias("diabetes", "champion")
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_register_model_from_a_run_uri(
    client: MlflowClient, diabetes: tuple[np.ndarray, np.ndarray]
) -> None:
    features, target = diabetes
    info, model = _log_ridge(features, target, 1.0)

    version = mlflow.register_model(f"runs:/{info.run_id}/model", "from-run")
    assert version.version == "1"
    assert version.run_id == info.run_id

    loaded = mlflow.pyfunc.load_model("models:/from-run/1")
    np.testing.assert_allclose(
        loaded.predict(features[:5]), model.predict(features[:5])
    )


# Stages are deprecated in MLflow, yet still served: the client warns on each call.
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_registered_models_and_versions(
    client: MlflowClient, diabetes: tuple[np.ndarray, np.ndarray]
) -> None:
    features, target = diabetes
    info, _ = _log_ridge(features, target, 0.1)
    client.create_registered_model("churn", tags={"team": "growth"})
    for _ in range(3):
        client.create_model_version("churn", f"models:/{info.model_id}")
    assert client.get_model_version("churn", "3").run_id == info.run_id

    updated = client.update_registered_model("churn", description="weekly churn")
    assert updated.description == "weekly churn"
    client.set_registered_model_tag("churn", "owner", "ana")
    client.delete_registered_model_tag("churn", "team")
    assert client.get_registered_model("churn").tags == {"owner": "ana"}

    client.update_model_version("churn", "2", description="second")
    client.set_model_version_tag("churn", "2", "validated", "yes")
    client.set_model_version_tag("churn", "2", "gone", "x")
    client.delete_model_version_tag("churn", "2", "gone")
    second = client.get_model_version("churn", "2")
    assert second.description == "second"
    assert second.tags == {"validated": "yes"}

    found = client.search_model_versions("name = 'churn'")
    assert sorted(v.version for v in found) == ["1", "2", "3"]
    tagged = client.search_model_versions("name = 'churn' AND tags.validated = 'yes'")
    assert [v.version for v in tagged] == ["2"]

    client.transition_model_version_stage("churn", "1", "Production")
    client.transition_model_version_stage(
        "churn", "2", "Production", archive_existing_versions=True
    )
    assert client.get_model_version("churn", "1").current_stage == "Archived"
    latest = client.get_latest_versions("churn", stages=["Production"])
    assert [v.version for v in latest] == ["2"]
    assert {v.version for v in client.get_latest_versions("churn")} == {"1", "2", "3"}

    client.delete_model_version("churn", "3")
    with pytest.raises(MlflowException) as deleted:
        client.get_model_version("churn", "3")
    assert deleted.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    client.rename_registered_model("churn", "churn-v2")
    names = [m.name for m in client.search_registered_models("name LIKE 'churn%'")]
    assert names == ["churn-v2"]
    assert client.get_model_version("churn-v2", "2").current_stage == "Production"

    client.delete_registered_model("churn-v2")
    assert client.search_registered_models("name LIKE 'churn%'") == []


def test_search_pages_registered_models(client: MlflowClient) -> None:
    for name in ("page-a", "page-b", "page-c"):
        client.create_registered_model(name)
    first = client.search_registered_models(
        "name LIKE 'page-%'", max_results=2, order_by=["name DESC"]
    )
    assert [m.name for m in first] == ["page-c", "page-b"]
    assert first.token
    rest = client.search_registered_models(
        "name LIKE 'page-%'",
        max_results=2,
        order_by=["name DESC"],
        page_token=first.token,
    )
    assert [m.name for m in rest] == ["page-a"]
    assert not rest.token


def test_registry_errors_carry_mlflows_codes(
    client: MlflowClient, tracking_uri: str
) -> None:
    client.create_registered_model("dup")
    with pytest.raises(MlflowException) as duplicate:
        client.create_registered_model("dup")
    assert duplicate.value.error_code == "RESOURCE_ALREADY_EXISTS"

    with pytest.raises(MlflowException) as unknown:
        client.get_registered_model("no-such-model")
    assert unknown.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as no_version:
        client.get_model_version("dup", "7")
    assert no_version.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    # The web UI's prefix serves the same endpoints.
    answer = httpx.get(
        f"{tracking_uri}/ajax-api/2.0/mlflow/registered-models/get",
        params={"name": "dup"},
    )
    assert answer.status_code == 200
    assert answer.json()["registered_model"]["name"] == "dup"
