"""Automatic logging for scikit-learn: every estimator's ``fit`` logs to a run.

``autolog()`` replaces ``fit`` on each scikit-learn class that defines one (the
estimators from ``sklearn.utils.all_estimators`` and the bases they inherit ``fit``
from). After the original ``fit`` succeeds, the outermost call logs the estimator's
params, the tags ``estimator_name`` and ``estimator_class``, training metrics and
the pickled model under ``model/``. Fits that run inside it (the steps of a
pipeline, the candidates of a grid search) log nothing of their own.

With no active run, a fit starts one and ends it when the fit returns; inside
``start_run()`` it logs into that run. Logging failures become warnings: autolog
never breaks a fit, and never hides an error the fit itself raised.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import runstream
from runstream.autolog import sklearn_post
from runstream.autolog.sklearn_metrics import training_metrics
from runstream.errors import InvalidInputError
from runstream.models import log_model
from runstream.tracking import ActiveRun
from runstream.validation import MAX_PARAM_VALUE_LENGTH, check_key

logger = logging.getLogger(__name__)

MODEL_ARTIFACT_PATH = "model"
TRUNCATION_MARK = "...[truncated]"

# TODO: fit_transform and fit_predict are not patched; estimators whose
# fit_transform skips fit (PCA, say) log nothing when trained that way.

_patch_lock = threading.Lock()
_originals: dict[type, Callable[..., Any]] = {}
_method_originals: dict[tuple[type, str], Callable[..., Any]] = {}
_log_models = True

# How many patched fits are running in this process. A global count, not a
# per-thread one, because scikit-learn fits inner estimators on joblib worker
# threads, and those fits must see that an outer fit is already logging.
# TODO: two user threads fitting at once log only the fit that started first.
_depth = 0
_depth_lock = threading.Lock()


def autolog(disable: bool = False, log_models: bool = True) -> None:
    """Log every scikit-learn fit from now on; ``disable=True`` stops it and puts
    the original ``fit`` methods back. ``log_models=False`` skips the model files.
    """
    global _log_models
    with _patch_lock:
        if disable:
            _restore()
            return
        _log_models = log_models
        if _originals:
            return  # already patched; only the options change
        for owner in _owners("fit"):
            original = owner.__dict__["fit"]
            _originals[owner] = original
            owner.fit = _patched_fit(original)  # type: ignore[attr-defined]
        _patch_scoring()
    logger.info("sklearn autolog enabled classes=%d", len(_originals))


def _patch_scoring() -> None:
    """Scores on held-out data after a fit log too (see ``sklearn_post``)."""
    wrappers = {
        "score": sklearn_post.patched_score,
        "predict": sklearn_post.patched_predict,
        "predict_proba": sklearn_post.patched_predict,
    }
    for method, wrap in wrappers.items():
        for owner in _owners(method):
            original = owner.__dict__[method]
            _method_originals[(owner, method)] = original
            setattr(owner, method, wrap(original, _inside_fit))
    sklearn_post.patch_metric_functions()


def _inside_fit() -> bool:
    return _depth > 0


def _restore() -> None:
    for owner, original in _originals.items():
        owner.fit = original  # type: ignore[attr-defined]
    for (owner, method), original in _method_originals.items():
        setattr(owner, method, original)
    _method_originals.clear()
    sklearn_post.restore_metric_functions()
    restored = len(_originals)
    _originals.clear()
    if restored:
        logger.info("sklearn autolog disabled classes=%d", restored)


def _owners(method: str) -> list[type]:
    """The classes whose own ``__dict__`` holds the ``method`` estimators run.

    Patching where it is defined, rather than on every estimator, wraps each
    function once and also covers subclasses users write themselves.
    """
    from sklearn.utils import all_estimators

    owners: dict[type, None] = {}
    for _, estimator_class in all_estimators():
        for klass in estimator_class.__mro__:
            function = klass.__dict__.get(method)
            if function is None:
                continue
            if inspect.isfunction(function) and klass.__module__.startswith("sklearn"):
                owners[klass] = None
            break
    return list(owners)


def _patched_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _fit_scope() as outermost:
            if not outermost:
                return original(self, *args, **kwargs)
            return _fit_and_log(original, self, args, kwargs)

    return fit


@contextmanager
def _fit_scope() -> Iterator[bool]:
    """Count a running fit; yield whether it is the outermost one."""
    global _depth
    with _depth_lock:
        outermost = _depth == 0
        _depth += 1
    try:
        yield outermost
    finally:
        with _depth_lock:
            _depth -= 1


def _fit_and_log(
    original: Callable[..., Any],
    estimator: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    run, started = _ensure_run()
    try:
        result = original(estimator, *args, **kwargs)
    except BaseException as e:
        if started:
            _end_run(run, "KILLED" if isinstance(e, KeyboardInterrupt) else "FAILED")
        raise

    if run is not None:
        _log_fit(run, estimator, original, args, kwargs)
        if started:
            _end_run(run, "FINISHED")
    return result


def _ensure_run() -> tuple[ActiveRun | None, bool]:
    """The run to log into and whether autolog started it (None if none could be)."""
    active = runstream.active_run()
    if active is not None:
        return active, False
    try:
        return runstream.start_run(), True
    except Exception as e:  # the fit goes on unlogged rather than not at all
        logger.warning("autolog could not start a run; this fit is not logged: %s", e)
        return None, False


def _end_run(run: ActiveRun | None, status: str) -> None:
    if run is None or runstream.active_run() is not run:
        logger.warning(
            "autolog did not end its run: another run became active during fit; "
            "end it with runstream.end_run()"
        )
        return
    try:
        runstream.end_run(status)
    except Exception as e:
        logger.warning("autolog could not end run %s: %s", run.info.run_id, e)


def _log_fit(
    run: ActiveRun,
    estimator: Any,
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    name = type(estimator).__name__

    _guarded("params", name, run, lambda: _log_params(run, estimator))
    _guarded("tags", name, run, lambda: _log_tags(run, estimator))
    _guarded(
        "metrics",
        name,
        run,
        lambda: _log_metrics(run, estimator, original, args, kwargs),
    )
    _guarded("estimator.html", name, run, lambda: _log_html(run, estimator))
    if _log_models:
        _guarded("the model", name, run, lambda: _log_model(run, estimator))
    sklearn_post.remember_fit(estimator, run.info.run_id)


def _log_html(run: ActiveRun, estimator: Any) -> None:
    from sklearn.utils import estimator_html_repr

    html = estimator_html_repr(estimator)
    runstream.log_text(html, "estimator.html", run_id=run.info.run_id)


def _guarded(what: str, name: str, run: ActiveRun, step: Callable[[], None]) -> None:
    try:
        step()
    except Exception as e:  # logging must never break the user's fit
        logger.warning(
            "autolog could not log %s of %s to run %s: %s",
            what,
            name,
            run.info.run_id,
            e,
        )


def _log_params(run: ActiveRun, estimator: Any) -> None:
    run_id = run.info.run_id
    accepted: dict[str, str] = {}
    conflicting: list[str] = []
    for key, value in estimator.get_params(deep=True).items():
        try:
            check_key("param", key, run_id)
        except InvalidInputError as e:
            logger.warning("autolog skipped a param: %s", e)
            continue
        text = param_text(value)
        earlier = run.params.get(key)
        if earlier is not None and earlier != text:
            conflicting.append(key)
            continue
        accepted[key] = text

    if conflicting:
        logger.warning(
            "autolog did not log %d params to run %s: an earlier fit logged them with "
            "other values and params are immutable (%s); start a run per model to "
            "log each model's params",
            len(conflicting),
            run_id,
            ", ".join(conflicting),
        )
    runstream.log_params(accepted, run_id=run_id)


def param_text(value: Any) -> str:
    """``str(value)``, cut to the param value limit with a visible mark, so that a
    huge value (a nested estimator's repr, an array) still logs its beginning."""
    text = str(value)
    if len(text) <= MAX_PARAM_VALUE_LENGTH:
        return text
    return text[: MAX_PARAM_VALUE_LENGTH - len(TRUNCATION_MARK)] + TRUNCATION_MARK


def _log_tags(run: ActiveRun, estimator: Any) -> None:
    cls = type(estimator)
    tags = {
        "estimator_name": cls.__name__,
        "estimator_class": f"{cls.__module__}.{cls.__qualname__}",
    }
    runstream.set_tags(tags, run_id=run.info.run_id)


def _log_metrics(
    run: ActiveRun,
    estimator: Any,
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    X, y, sample_weight = training_data(original, estimator, args, kwargs)
    if X is None:
        return
    metrics = training_metrics(estimator, X, y, sample_weight)
    if metrics:
        runstream.log_metrics(metrics, run_id=run.info.run_id)


def training_data(
    fit: Callable[..., Any],
    estimator: Any,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> tuple[Any, Any, Any]:
    """(X, y, sample_weight) as passed to ``fit``; X is its first argument, whatever
    its name (``raw_documents`` for text vectorizers)."""
    signature = inspect.signature(fit)
    bound = signature.bind(estimator, *args, **kwargs).arguments
    parameters = list(signature.parameters.values())

    X = None
    if len(parameters) > 1 and parameters[1].kind in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        X = bound.get(parameters[1].name)
    y = bound.get("y", bound.get("Y"))

    sample_weight = bound.get("sample_weight")
    for parameter in parameters:
        # Meta-estimators take sample_weight through **fit_params.
        if sample_weight is None and parameter.kind is inspect.Parameter.VAR_KEYWORD:
            sample_weight = bound.get(parameter.name, {}).get("sample_weight")
    return X, y, sample_weight


def _log_model(run: ActiveRun, estimator: Any) -> None:
    # TODO: no input example or signature yet; MLflow's autolog infers one from
    # the training data when log_input_examples / log_model_signatures are set.
    log_model(estimator, MODEL_ARTIFACT_PATH, run_id=run.info.run_id)
