"""Post-training metrics: scores the user computes on held-out data after a fit.

Once autolog has logged a fit, that estimator is remembered with its run. Then

* ``estimator.score(X_test, y_test)`` logs ``score_X_test``;
* ``y_pred = estimator.predict(X_test)`` (or ``predict_proba``) remembers that
  ``y_pred`` came from it and from ``X_test``, so a later
  ``sklearn.metrics.accuracy_score(y_test, y_pred)`` logs ``accuracy_score_X_test``.

The dataset's name is the caller's variable name for it (``X_test``), else
``eval_dataset``. Computing the same metric again logs it at the next step.
Nothing is logged for calls made inside a fit.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

import runstream

logger = logging.getLogger(__name__)

FALLBACK_DATASET = "eval_dataset"
METRIC_FUNCTIONS = (
    "accuracy_score",
    "balanced_accuracy_score",
    "f1_score",
    "precision_score",
    "recall_score",
    "log_loss",
    "roc_auc_score",
    "r2_score",
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "median_absolute_error",
    "mean_absolute_percentage_error",
    "explained_variance_score",
)
# TODO: metric functions imported by name before autolog() (``from
# sklearn.metrics import f1_score``) keep the unpatched function and log nothing.

_lock = threading.Lock()
_fitted: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
# id(prediction) -> (a weak reference to it, run id, dataset name)
_predictions: dict[int, tuple[weakref.ref[Any], str, str]] = {}
_steps: dict[tuple[str, str], int] = {}
_metric_originals: dict[str, Callable[..., Any]] = {}
# Set while a patched call runs: the predict and accuracy_score that a classifier's
# score() makes inside are its own business, not the user's.
_busy = threading.local()


def _outermost() -> bool:
    return not getattr(_busy, "depth", 0)


def _call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _busy.depth = getattr(_busy, "depth", 0) + 1
    try:
        return function(*args, **kwargs)
    finally:
        _busy.depth -= 1


def remember_fit(estimator: Any, run_id: str) -> None:
    """Scores of ``estimator`` from now on log to ``run_id``."""
    try:
        _fitted[estimator] = run_id
    except TypeError:
        logger.debug("%s cannot be weakly referenced", type(estimator).__name__)


def patched_score(original: Callable[..., Any], inside_fit: Callable[[], bool]) -> Any:
    @functools.wraps(original)
    def score(self: Any, X: Any, *args: Any, **kwargs: Any) -> Any:
        outermost = _outermost()
        result = _call(original, self, X, *args, **kwargs)
        run_id = _fitted.get(self) if outermost and not inside_fit() else None
        if run_id is not None:
            _log(run_id, "score", _dataset_name(X), result)
        return result

    return score


def patched_predict(
    original: Callable[..., Any], inside_fit: Callable[[], bool]
) -> Any:
    @functools.wraps(original)
    def predict(self: Any, X: Any, *args: Any, **kwargs: Any) -> Any:
        outermost = _outermost()
        result = _call(original, self, X, *args, **kwargs)
        run_id = _fitted.get(self) if outermost and not inside_fit() else None
        if run_id is not None:
            _remember_prediction(result, run_id, _dataset_name(X))
        return result

    return predict


def patch_metric_functions() -> None:
    import sklearn.metrics as metrics

    with _lock:
        for name in METRIC_FUNCTIONS:
            original = getattr(metrics, name, None)
            if original is None or name in _metric_originals:
                continue
            _metric_originals[name] = original
            setattr(metrics, name, _patched_metric(name, original))


def restore_metric_functions() -> None:
    import sklearn.metrics as metrics

    with _lock:
        for name, original in _metric_originals.items():
            setattr(metrics, name, original)
        _metric_originals.clear()


def _patched_metric(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def metric(*args: Any, **kwargs: Any) -> Any:
        outermost = _outermost()
        result = _call(original, *args, **kwargs)
        if not outermost:
            return result
        prediction = args[1] if len(args) > 1 else _prediction_kwarg(kwargs)
        source = _predictions.get(id(prediction)) if prediction is not None else None
        if source is not None and source[0]() is prediction:
            _log(source[1], name, source[2], result)
        return result

    return metric


def _prediction_kwarg(kwargs: dict[str, Any]) -> Any:
    for key in ("y_pred", "y_score", "y_proba", "y_prob"):
        if key in kwargs:
            return kwargs[key]
    return None


def _remember_prediction(prediction: Any, run_id: str, dataset: str) -> None:
    key = id(prediction)
    try:
        ref = weakref.ref(prediction, lambda _: _predictions.pop(key, None))
    except TypeError:
        return  # a list or a scalar: nothing to recognise later
    _predictions[key] = (ref, run_id, dataset)


def _log(run_id: str, metric: str, dataset: str, value: Any) -> None:
    key = f"{metric}_{dataset}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return  # per-class arrays (average=None) are not one metric
    with _lock:
        step = _steps.get((run_id, key), 0)
        _steps[(run_id, key)] = step + 1
    try:
        runstream.log_metric(key, number, step=step, run_id=run_id)
    except Exception as e:  # scoring must go on whatever logging does
        logger.warning("autolog could not log %s to run %s: %s", key, run_id, e)


def _dataset_name(data: Any) -> str:
    """The name the caller's code gives ``data``, searched a few frames up (the
    patched methods and scikit-learn's own wrappers sit in between)."""
    frame = sys._getframe(2)
    for _ in range(6):
        if frame is None:
            break
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(("sklearn", "runstream.autolog")):
            for name, value in frame.f_locals.items():
                if value is data and name.isidentifier() and not name.startswith("_"):
                    return name
            break
        frame = frame.f_back  # type: ignore[assignment]
    return FALLBACK_DATASET
