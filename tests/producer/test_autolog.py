"""scikit-learn autologging, through the real pipeline: SDK → log → projections."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import runstream
from runstream.autolog import sklearn as sklearn_autolog
from runstream.blobs import artifact_key
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService
from runstream.validation import MAX_PARAM_VALUE_LENGTH

REGRESSOR_METRICS = {
    "training_mean_squared_error",
    "training_mean_absolute_error",
    "training_r2_score",
    "training_root_mean_squared_error",
    "training_score",
}
CLASSIFIER_METRICS = {
    "training_accuracy_score",
    "training_precision_score",
    "training_recall_score",
    "training_f1_score",
    "training_log_loss",
    "training_roc_auc_score",
    "training_score",
}
# Every logged fit also writes estimator.html, scikit-learn's drawing of it.
MODEL_FILES = {
    "estimator.html",
    "model/model.pkl",
    "model/MLmodel",
    "model/requirements.txt",
    "model/python_env.yaml",
    "model/conda.yaml",
}


@pytest.fixture
def autologging(log_path: object) -> Iterator[None]:
    runstream.autolog()
    yield
    runstream.autolog(disable=True)


def _project(service: ProjectionService) -> None:
    assert runstream.flush()
    service.catch_up()


def _rows(store: ClickHouseStore, table: str, columns: str, run_id: str) -> list[Any]:
    return store.query(
        f"SELECT {columns} FROM {store.table(table)} FINAL "
        "WHERE run_id = {run_id:String}",
        {"run_id": run_id},
    )


def _params(store: ClickHouseStore, run_id: str) -> dict[str, str]:
    return {r["key"]: r["value"] for r in _rows(store, "params", "key, value", run_id)}


def _tags(store: ClickHouseStore, run_id: str) -> dict[str, str]:
    return {r["key"]: r["value"] for r in _rows(store, "tags", "key, value", run_id)}


def _metrics(store: ClickHouseStore, run_id: str) -> dict[str, float]:
    rows = store.query(
        f"SELECT key, max(latest).3 AS latest "
        f"FROM {store.table('latest_metrics')} FINAL "
        "WHERE run_id = {run_id:String} GROUP BY key",
        {"run_id": run_id},
    )
    return {r["key"]: r["latest"] for r in rows}


def _artifacts(store: ClickHouseStore, run_id: str) -> set[str]:
    return {r["path"] for r in _rows(store, "artifacts", "path", run_id)}


def _status(store: ClickHouseStore, run_id: str) -> str:
    return _rows(store, "runs", "status", run_id)[0]["status"]


def _run_ids(store: ClickHouseStore) -> list[str]:
    rows = store.query(f"SELECT run_id FROM {store.table('runs')} FINAL")
    return [r["run_id"] for r in rows]


def _blob(service: ProjectionService, run_id: str, path: str) -> bytes:
    return b"".join(service.blobs.open_chunks(artifact_key(run_id, path)))


def test_seed_example_logs_params_tags_metrics_and_model(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    db = load_diabetes()
    X_train, X_test, y_train, y_test = train_test_split(db.data, db.target)
    rf = RandomForestRegressor(n_estimators=100, max_depth=6, max_features=3)
    rf.fit(X_train, y_train)
    predictions = rf.predict(X_test)

    assert runstream.active_run() is None, "autolog ends the run it started"
    run_id = _last_run_id()
    assert run_id is not None
    _project(service)

    params = _params(store, run_id)
    assert params["n_estimators"] == "100"
    assert params["max_depth"] == "6"
    assert params["max_features"] == "3"
    assert set(params) == set(rf.get_params(deep=True))

    tags = _tags(store, run_id)
    assert tags["estimator_name"] == "RandomForestRegressor"
    assert tags["estimator_class"] == "sklearn.ensemble._forest.RandomForestRegressor"

    metrics = _metrics(store, run_id)
    assert REGRESSOR_METRICS <= set(metrics)
    assert 0 < metrics["training_r2_score"] < 1
    assert metrics["training_score"] == pytest.approx(metrics["training_r2_score"])
    mse, rmse = (
        metrics["training_mean_squared_error"],
        metrics["training_root_mean_squared_error"],
    )
    assert rmse**2 == pytest.approx(mse)
    assert 0 < metrics["training_mean_absolute_error"] <= rmse

    assert _artifacts(store, run_id) == MODEL_FILES
    model = pickle.loads(_blob(service, run_id, "model/model.pkl"))
    np.testing.assert_allclose(model.predict(X_test), predictions)
    mlmodel = _blob(service, run_id, "model/MLmodel").decode()
    assert "sklearn:" in mlmodel and "sklearn_version:" in mlmodel
    assert "python_version:" in mlmodel and f"run_id: {run_id}" in mlmodel
    assert b"scikit-learn==" in _blob(service, run_id, "model/requirements.txt")
    assert _status(store, run_id) == "FINISHED"


def test_classifier_logs_classification_metrics(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    X, y = load_iris(return_X_y=True)
    LogisticRegression(max_iter=1000).fit(X, y)
    run_id = _last_run_id()
    _project(service)

    metrics = _metrics(store, run_id)
    assert CLASSIFIER_METRICS <= set(metrics)
    assert 0.9 < metrics["training_accuracy_score"] <= 1
    assert metrics["training_score"] == pytest.approx(
        metrics["training_accuracy_score"]
    )
    assert 0.9 < metrics["training_roc_auc_score"] <= 1
    assert 0 < metrics["training_log_loss"] < 1
    for name in ("precision", "recall", "f1"):
        assert 0.9 < metrics[f"training_{name}_score"] <= 1
    assert _tags(store, run_id)["estimator_name"] == "LogisticRegression"


def test_binary_classifier_with_string_labels_gets_roc_auc(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    X, y = load_iris(return_X_y=True)
    labels = np.where(y == 0, "setosa", "other")
    LogisticRegression(max_iter=1000).fit(X, labels)
    run_id = _last_run_id()
    _project(service)

    assert _metrics(store, run_id)["training_roc_auc_score"] == pytest.approx(1.0)


def test_sample_weight_is_respected(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    X, y = load_diabetes(return_X_y=True)
    weights = np.linspace(0.1, 3.0, len(y))
    model = LinearRegression().fit(X, y, sample_weight=weights)
    run_id = _last_run_id()
    _project(service)

    expected = mean_squared_error(y, model.predict(X), sample_weight=weights)
    unweighted = mean_squared_error(y, model.predict(X))
    logged = _metrics(store, run_id)["training_mean_squared_error"]
    assert logged == pytest.approx(expected)
    assert logged != pytest.approx(unweighted)


def test_only_the_outermost_fit_logs(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    X, y = load_iris(return_X_y=True)
    pipeline = Pipeline(
        [("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))]
    )
    search = GridSearchCV(pipeline, {"clf__C": [0.1, 1.0]}, cv=2)
    search.fit(X, y)
    _project(service)

    run_ids = _run_ids(store)
    assert run_ids == [_last_run_id()]
    tags = _tags(store, run_ids[0])
    assert tags["estimator_name"] == "GridSearchCV"
    assert tags["estimator_class"] == "sklearn.model_selection._search.GridSearchCV"
    params = _params(store, run_ids[0])
    assert params["cv"] == "2"
    assert params["estimator__clf__max_iter"] == "1000"
    assert CLASSIFIER_METRICS <= set(_metrics(store, run_ids[0]))


def test_fit_inside_an_active_run_logs_into_it_and_leaves_it_open(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    X, y = load_diabetes(return_X_y=True)
    with runstream.start_run() as run:
        LinearRegression().fit(X, y)
        assert runstream.active_run() is run
        runstream.log_param("note", "mine")
    _project(service)

    assert _run_ids(store) == [run.info.run_id]
    params = _params(store, run.info.run_id)
    assert params["note"] == "mine" and params["fit_intercept"] == "True"
    assert REGRESSOR_METRICS <= set(_metrics(store, run.info.run_id))


def test_second_fit_in_one_run_keeps_the_first_params(
    autologging: None,
    service: ProjectionService,
    store: ClickHouseStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    X, y = load_diabetes(return_X_y=True)
    with runstream.start_run() as run:
        LinearRegression(fit_intercept=True).fit(X, y)
        with caplog.at_level(logging.WARNING, logger="runstream.autolog"):
            LinearRegression(fit_intercept=False).fit(X, y)
    _project(service)

    assert _params(store, run.info.run_id)["fit_intercept"] == "True"
    assert "params are immutable" in caplog.text


def test_error_in_fit_propagates_and_fails_the_run(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    with pytest.raises(ValueError):
        LinearRegression().fit(np.ones((5, 2)), np.ones(4))
    assert runstream.active_run() is None
    _project(service)

    run_ids = _run_ids(store)
    assert len(run_ids) == 1
    assert _status(store, run_ids[0]) == "FAILED"


def test_logging_failure_never_breaks_fit(
    autologging: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(runstream, "log_params", broken)
    monkeypatch.setattr(runstream, "log_metrics", broken)
    X, y = load_diabetes(return_X_y=True)
    with caplog.at_level(logging.WARNING, logger="runstream.autolog"):
        model = LinearRegression().fit(X, y)
    assert model.coef_.shape == (X.shape[1],)
    assert "log unavailable" in caplog.text


def test_estimator_without_score_logs_no_metrics(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    X, _ = load_diabetes(return_X_y=True)
    StandardScaler().fit(X)
    run_id = _last_run_id()
    _project(service)

    assert _metrics(store, run_id) == {}
    assert _params(store, run_id)["with_mean"] == "True"
    assert _artifacts(store, run_id) == MODEL_FILES


def test_user_subclass_calling_super_fit_logs_once_under_its_own_name(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    class MyRegression(LinearRegression):
        def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MyRegression:
            return super().fit(X, y, sample_weight=sample_weight)

    X, y = load_diabetes(return_X_y=True)
    MyRegression().fit(X, y)
    _project(service)

    run_ids = _run_ids(store)
    assert len(run_ids) == 1
    assert _tags(store, run_ids[0])["estimator_name"] == "MyRegression"


def test_disable_restores_the_original_fit(
    log_path: object, service: ProjectionService, store: ClickHouseStore
) -> None:
    originals = {cls: cls.__dict__["fit"] for cls in (LinearRegression, Pipeline)}
    runstream.autolog()
    runstream.autolog()  # twice must not wrap twice
    assert LinearRegression.__dict__["fit"] is not originals[LinearRegression]
    assert LinearRegression.__dict__["fit"].__wrapped__ is originals[LinearRegression]

    runstream.autolog(disable=True)
    for cls, fit in originals.items():
        assert cls.__dict__["fit"] is fit
    X, y = load_diabetes(return_X_y=True)
    LinearRegression().fit(X, y)
    _project(service)
    assert _run_ids(store) == []


def test_param_text_truncates_long_values() -> None:
    assert sklearn_autolog.param_text(12) == "12"
    long = sklearn_autolog.param_text("x" * (MAX_PARAM_VALUE_LENGTH + 10))
    assert len(long) == MAX_PARAM_VALUE_LENGTH
    assert long.endswith(sklearn_autolog.TRUNCATION_MARK)


def test_long_param_values_are_logged_truncated(
    autologging: None, service: ProjectionService, store: ClickHouseStore
) -> None:
    class Wide(BaseEstimator):
        def __init__(self, vocabulary: str = "") -> None:
            self.vocabulary = vocabulary

        def fit(self, X: Any, y: Any = None) -> Wide:
            return self

    # A user's estimator is not patched itself; run it inside a patched fit.
    pipeline = Pipeline([("wide", Wide("w" * 10_000))])
    pipeline.fit(np.ones((3, 1)))
    run_id = _last_run_id()
    _project(service)

    value = _params(store, run_id)["wide__vocabulary"]
    assert len(value) == MAX_PARAM_VALUE_LENGTH


def _last_run_id() -> str | None:
    last = runstream.last_active_run()
    return last.info.run_id if last else None
