"""scikit-learn autolog, ``log_model`` and loading models back: MLflow 3's logged
models and the artifact proxy, end to end with the real client."""

from __future__ import annotations

from collections.abc import Iterator

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import LoggedModelStatus
from mlflow.exceptions import MlflowException
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge


@pytest.fixture
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    features, target = load_diabetes(return_X_y=True)
    return features, target


@pytest.fixture
def autolog(tracking_uri: str) -> Iterator[None]:
    mlflow.sklearn.autolog(log_input_examples=False, silent=True)
    yield
    mlflow.sklearn.autolog(disable=True)


def test_sklearn_autolog_run(
    autolog: None, diabetes: tuple[np.ndarray, np.ndarray]
) -> None:
    features, target = diabetes
    mlflow.set_experiment("diabetes")
    with mlflow.start_run() as run:
        model = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0)
        model.fit(features, target)

    logged = mlflow.get_run(run.info.run_id)
    assert logged.data.params["n_estimators"] == "5"
    assert logged.data.params["max_depth"] == "3"
    assert logged.data.tags["estimator_name"] == "RandomForestRegressor"
    assert 0 < logged.data.metrics["training_r2_score"] <= 1
    assert logged.inputs.dataset_inputs[0].tags[0].value == "train"
    assert [o.model_id for o in logged.outputs.model_outputs]

    [model_info] = mlflow.search_logged_models(
        experiment_ids=[run.info.experiment_id], output_format="list"
    )
    assert model_info.name == "model"
    assert model_info.source_run_id == run.info.run_id
    assert model_info.status == LoggedModelStatus.READY

    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(
        loaded.predict(features[:5]), model.predict(features[:5])
    )


def test_log_model_and_load_it_back(
    tracking_uri: str, diabetes: tuple[np.ndarray, np.ndarray]
) -> None:
    features, target = diabetes
    model = Ridge(alpha=0.5).fit(features, target)
    mlflow.set_experiment("ridge")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        info = mlflow.sklearn.log_model(
            model, name="ridge", input_example=features[:2], params={"solver": "auto"}
        )

    by_id = mlflow.pyfunc.load_model(info.model_uri)
    by_run = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/ridge")
    expected = model.predict(features[:3])
    np.testing.assert_allclose(by_id.predict(features[:3]), expected)
    np.testing.assert_allclose(by_run.predict(features[:3]), expected)

    client = MlflowClient()
    logged = client.get_logged_model(info.model_id)
    assert logged.params == {"alpha": "0.5", "solver": "auto"}
    assert logged.artifact_location.endswith(f"/models/{info.model_id}/artifacts")
    files = {f.path for f in client.list_logged_model_artifacts(info.model_id)}
    assert "MLmodel" in files and any(f.startswith("model.") for f in files), files
    named = client.search_logged_models(
        [run.info.experiment_id], filter_string="name = 'ridge'"
    )
    assert [m.model_id for m in named] == [info.model_id]


def test_logged_model_tags_and_delete(client: MlflowClient) -> None:
    model = mlflow.initialize_logged_model(name="external", experiment_id="0")
    client.set_logged_model_tags(model.model_id, {"stage": "candidate", "gone": "x"})
    client.delete_logged_model_tag(model.model_id, "gone")
    tags = client.get_logged_model(model.model_id).tags
    assert tags["stage"] == "candidate"
    assert "gone" not in tags

    client.finalize_logged_model(model.model_id, "READY")
    assert client.get_logged_model(model.model_id).status == LoggedModelStatus.READY

    client.delete_logged_model(model.model_id)
    with pytest.raises(MlflowException) as missing:
        client.get_logged_model(model.model_id)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
