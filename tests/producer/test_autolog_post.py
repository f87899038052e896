"""autolog after the fit: held-out scores, estimator.html; and the training-loop
helper for hand-written (PyTorch-style) loops."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import sklearn.metrics
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split

import runstream
from runstream import TrainingLogger

Sync = Callable[[], None]


@pytest.fixture
def autologging() -> Iterator[None]:
    runstream.autolog(log_models=False)
    yield
    runstream.autolog(disable=True)


def test_held_out_scores_log_under_the_datasets_name(
    synced: Sync, autologging: None
) -> None:
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    with runstream.start_run() as run:
        model = LogisticRegression(max_iter=500).fit(X_train, y_train)
        score = model.score(X_test, y_test)
        y_pred = model.predict(X_test)
        accuracy = sklearn.metrics.accuracy_score(y_test, y_pred)
        f1 = sklearn.metrics.f1_score(y_test, y_pred, average="macro")
        again = sklearn.metrics.accuracy_score(y_true=y_test, y_pred=y_pred)
        proba = model.predict_proba(X_test)
        loss = sklearn.metrics.log_loss(y_test, proba)
        # Predictions that no logged model made log nothing.
        sklearn.metrics.accuracy_score(y_test, np.zeros_like(y_test))
    synced()

    metrics = runstream.get_run(run.info.run_id).data.metrics
    assert metrics["score_X_test"] == pytest.approx(score)
    assert metrics["accuracy_score_X_test"] == pytest.approx(again)
    assert accuracy == again
    assert metrics["f1_score_X_test"] == pytest.approx(f1)
    assert metrics["log_loss_X_test"] == pytest.approx(loss)
    assert "training_accuracy_score" in metrics
    history = runstream.get_metric_history(run.info.run_id, "accuracy_score_X_test")
    assert [p.step for p in history] == [0, 1]
    # score() predicts and computes accuracy inside; that logs nothing extra.
    assert len([k for k in metrics if k.endswith("_X_test")]) == 4


def test_fit_logs_estimator_html_and_regressor_scores(
    synced: Sync, autologging: None
) -> None:
    X, y = load_diabetes(return_X_y=True)
    with runstream.start_run() as run:
        model = LinearRegression().fit(X[:300], y[:300])
        holdout = X[300:]
        predictions = model.predict(holdout)
        sklearn.metrics.r2_score(y[300:], predictions)
        sklearn.metrics.mean_squared_error(y[300:], predictions)
    synced()
    metrics = runstream.get_run(run.info.run_id).data.metrics
    assert {"r2_score_holdout", "mean_squared_error_holdout"} <= set(metrics)
    files = [f.path for f in runstream.list_artifacts(run.info.run_id)]
    assert "estimator.html" in files
    html = Path(runstream.download_artifacts(run.info.run_id, "estimator.html"))
    assert "LinearRegression" in html.read_text()


def test_scores_of_unlogged_models_log_nothing(synced: Sync, autologging: None) -> None:
    X, y = load_iris(return_X_y=True)
    runstream.autolog(disable=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    runstream.autolog(log_models=False)
    with runstream.start_run() as run:
        model.score(X, y)
        sklearn.metrics.accuracy_score(y, model.predict(X))
    synced()
    assert runstream.get_run(run.info.run_id).data.metrics == {}


class FakeTensor:
    def __init__(self, value: float) -> None:
        self.value = value

    def detach(self) -> FakeTensor:
        return self

    def cpu(self) -> FakeTensor:
        return self

    def item(self) -> float:
        return self.value


class FakeParameter:
    def __init__(self, n: int) -> None:
        self.n = n

    def numel(self) -> int:
        return self.n


class FakeModel:
    def parameters(self) -> list[FakeParameter]:
        return [FakeParameter(10), FakeParameter(5)]

    def __str__(self) -> str:
        return "FakeModel(linear: 10 -> 1)"


class FakeOptimizer:
    def __init__(self) -> None:
        self.param_groups = [{"lr": 0.1, "momentum": 0.9, "params": []}]


def test_training_logger_tracks_a_hand_written_loop(synced: Sync) -> None:
    optimizer = FakeOptimizer()
    with TrainingLogger(FakeModel(), optimizer, log_every_n_steps=2) as tracker:
        for epoch in range(2):
            for batch in range(4):
                tracker.step(loss=FakeTensor(1.0 / (epoch * 4 + batch + 1)))
                optimizer.param_groups[0]["lr"] *= 0.5
            tracker.epoch_end(val_loss=np.float32(0.25 * (2 - epoch)))
    synced()
    run = runstream.last_active_run()
    assert run is not None and run.info.status == "FINISHED"
    got = runstream.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params == {
        "optimizer_name": "FakeOptimizer",
        "optimizer_lr": "0.1",
        "optimizer_momentum": "0.9",
        "model_class": "FakeModel",
        "model_parameters": "15",
    }
    loss = runstream.get_metric_history(run.info.run_id, "loss")
    assert [p.step for p in loss] == [2, 4, 6, 8]
    assert loss[0].value == 0.5
    lr = runstream.get_metric_history(run.info.run_id, "lr")
    assert lr[0].value == 0.1 * 0.5
    val = runstream.get_metric_history(run.info.run_id, "val_loss")
    assert [(p.step, p.value) for p in val] == [(1, 0.5), (2, 0.25)]
    assert got.data.metrics["epochs_completed"] == 2
    summary = Path(runstream.download_artifacts(run.info.run_id, "model_summary.txt"))
    assert summary.read_text() == "FakeModel(linear: 10 -> 1)"


def test_training_logger_marks_a_crashed_loop_failed(synced: Sync) -> None:
    with pytest.raises(RuntimeError):
        with TrainingLogger() as tracker:
            tracker.step(loss=1.0)
            raise RuntimeError("diverged")
    synced()
    run = runstream.last_active_run()
    assert run is not None
    assert runstream.get_run(run.info.run_id).info.status == "FAILED"


def test_training_logger_refuses_a_zero_interval() -> None:
    with pytest.raises(runstream.InvalidInputError, match="log_every_n_steps"):
        TrainingLogger(log_every_n_steps=0)
