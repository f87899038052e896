"""Training metrics of a fitted scikit-learn estimator, as autologging logs them.

Every metric is computed on its own: one that does not apply to the data (ROC AUC
of a multilabel target, say) is skipped with a warning and the others still log.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

PREFIX = "training_"

_Thunk = Callable[[], Any]


def training_metrics(
    estimator: Any, X: Any, y: Any, sample_weight: Any = None
) -> dict[str, float]:
    """Metrics of ``estimator`` on the data it was fitted on, keyed ``training_*``.

    Classifiers and regressors get MLflow's set of metrics; every estimator with a
    working ``score`` also gets ``training_score``.
    """
    from sklearn.base import is_classifier, is_regressor

    thunks: dict[str, _Thunk] = {}
    # Warnings raised while scoring (an undefined precision for a class that is
    # never predicted, say) concern our logging, not the user's model.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if y is not None and is_classifier(estimator):
            thunks.update(_classifier_thunks(estimator, X, y, sample_weight))
        elif y is not None and is_regressor(estimator):
            thunks.update(_regressor_thunks(estimator, X, y, sample_weight))
        if hasattr(estimator, "score"):
            thunks["score"] = lambda: _score(estimator, X, y, sample_weight)
        return _evaluate(estimator, thunks)


def _evaluate(estimator: Any, thunks: dict[str, _Thunk]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for name, thunk in thunks.items():
        value = _attempt(estimator, PREFIX + name, thunk)
        if value is not None:
            metrics[PREFIX + name] = float(value)
    return metrics


def _attempt(estimator: Any, what: str, thunk: _Thunk) -> Any:
    try:
        return thunk()
    except Exception as e:  # one metric that does not apply must not stop the rest
        logger.warning(
            "autolog could not compute %s of %s; skipped: %s",
            what,
            type(estimator).__name__,
            e,
        )
        return None


def _classifier_thunks(
    estimator: Any, X: Any, y: Any, sample_weight: Any
) -> dict[str, _Thunk]:
    from sklearn import metrics as m

    thunks: dict[str, _Thunk] = {}
    y_pred = _attempt(estimator, "predictions", lambda: estimator.predict(X))
    if y_pred is not None:
        thunks["accuracy_score"] = lambda: m.accuracy_score(
            y, y_pred, sample_weight=sample_weight
        )
        averaged = {
            "precision_score": m.precision_score,
            "recall_score": m.recall_score,
            "f1_score": m.f1_score,
        }
        for name, metric in averaged.items():
            thunks[name] = _weighted_average(metric, y, y_pred, sample_weight)

    if hasattr(estimator, "predict_proba"):
        proba = _attempt(estimator, "probabilities", lambda: estimator.predict_proba(X))
        if proba is not None:
            classes = getattr(estimator, "classes_", None)
            thunks["log_loss"] = lambda: m.log_loss(
                y, proba, sample_weight=sample_weight, labels=classes
            )
            thunks["roc_auc_score"] = lambda: _roc_auc(y, proba, classes, sample_weight)
    return thunks


def _weighted_average(metric: Any, y: Any, y_pred: Any, sample_weight: Any) -> _Thunk:
    # A factory, so each thunk keeps its own metric instead of the loop's last one.
    return lambda: metric(
        y, y_pred, average="weighted", sample_weight=sample_weight, zero_division=0
    )


def _roc_auc(y: Any, proba: Any, classes: Any, sample_weight: Any) -> float:
    from sklearn.metrics import roc_auc_score

    proba = np.asarray(proba)
    if proba.ndim == 2 and proba.shape[1] == 2 and classes is not None:
        # Compare with the positive class, so string labels need no pos_label.
        positive = np.asarray(y) == classes[1]
        return float(roc_auc_score(positive, proba[:, 1], sample_weight=sample_weight))
    return float(
        roc_auc_score(
            y,
            proba,
            multi_class="ovr",
            average="weighted",
            sample_weight=sample_weight,
            labels=classes,
        )
    )


def _regressor_thunks(
    estimator: Any, X: Any, y: Any, sample_weight: Any
) -> dict[str, _Thunk]:
    from sklearn import metrics as m

    y_pred = _attempt(estimator, "predictions", lambda: estimator.predict(X))
    if y_pred is None:
        return {}
    pairs = {
        "mean_squared_error": m.mean_squared_error,
        "mean_absolute_error": m.mean_absolute_error,
        "r2_score": m.r2_score,
        "root_mean_squared_error": _root_mean_squared_error,
    }
    return {
        name: _on_predictions(metric, y, y_pred, sample_weight)
        for name, metric in pairs.items()
    }


def _on_predictions(metric: Any, y: Any, y_pred: Any, sample_weight: Any) -> _Thunk:
    return lambda: metric(y, y_pred, sample_weight=sample_weight)


def _root_mean_squared_error(y: Any, y_pred: Any, sample_weight: Any = None) -> float:
    from sklearn import metrics as m

    # scikit-learn >= 1.4 has it; older versions only have the squared error.
    rmse = getattr(m, "root_mean_squared_error", None)
    if rmse is not None:
        return float(rmse(y, y_pred, sample_weight=sample_weight))
    return float(np.sqrt(m.mean_squared_error(y, y_pred, sample_weight=sample_weight)))


def _score(estimator: Any, X: Any, y: Any, sample_weight: Any) -> float:
    kwargs = {}
    if sample_weight is not None and _accepts(estimator.score, "sample_weight"):
        kwargs["sample_weight"] = sample_weight
    if y is None:
        return float(estimator.score(X, **kwargs))
    return float(estimator.score(X, y, **kwargs))


def _accepts(function: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
