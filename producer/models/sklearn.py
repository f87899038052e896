"""The ``sklearn`` flavor: a fitted estimator, pickled, loadable by MLflow too.

Its ``python_function`` flavor names ``mlflow.sklearn`` as the loader module, the
module MLflow itself uses for this layout: MLflow loads a runstream model without
runstream installed, and runstream reads the same layout without MLflow. Besides
pickle and cloudpickle, models MLflow saved with skops are read (skops must be
installed).
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

from runstream.errors import InvalidInputError
from runstream.models import environment as env
from runstream.models.mlmodel import PYFUNC_FLAVOR, ModelDescriptor

logger = logging.getLogger(__name__)

FLAVOR = "sklearn"
MLFLOW_LOADER = "mlflow.sklearn"
MODEL_FILE = "model.pkl"
FORMATS = ("cloudpickle", "pickle", "skops")
REQUIREMENTS = ("scikit-learn", "numpy", "scipy", "pandas", "cloudpickle")


def is_sklearn_model(model: Any) -> bool:
    module = type(model).__module__ or ""
    if module.startswith("sklearn."):
        return True
    try:
        from sklearn.base import BaseEstimator
    except ImportError:
        return False
    return isinstance(model, BaseEstimator)


def save(
    model: Any,
    folder: Path,
    descriptor: ModelDescriptor,
    serialization_format: str = "cloudpickle",
) -> list[str]:
    """Pickle ``model`` into ``folder`` and add both flavors to ``descriptor``;
    return the requirements the pickle needs."""
    if serialization_format not in ("cloudpickle", "pickle"):
        raise InvalidInputError(
            f"serialization format {serialization_format!r} cannot be written; "
            "use cloudpickle (the default) or pickle"
        )
    with (folder / MODEL_FILE).open("wb") as out:
        if serialization_format == "cloudpickle":
            import cloudpickle

            cloudpickle.dump(model, out)
        else:
            pickle.dump(model, out, protocol=pickle.DEFAULT_PROTOCOL)

    descriptor.flavors[PYFUNC_FLAVOR] = {
        "loader_module": MLFLOW_LOADER,
        "model_path": MODEL_FILE,
        "predict_fn": "predict",
        "python_version": env.python_version(),
        "env": dict(env.ENV_CONF),
    }
    cls = type(model)
    descriptor.flavors[FLAVOR] = {
        "pickled_model": MODEL_FILE,
        "serialization_format": serialization_format,
        "sklearn_version": env.installed_version("scikit-learn"),
        "estimator_class": f"{cls.__module__}.{cls.__qualname__}",
        "code": None,
    }
    return env.pinned(REQUIREMENTS)


def load(folder: Path, descriptor: ModelDescriptor) -> Any:
    """The estimator saved in ``folder``, whatever wrote it."""
    conf = descriptor.flavors.get(FLAVOR, {})
    file = conf.get("pickled_model") or descriptor.pyfunc.get("model_path")
    path = folder / str(file or MODEL_FILE)
    serialization = conf.get("serialization_format", "pickle")
    logger.debug("loading sklearn model path=%s format=%s", path, serialization)
    if serialization == "skops":
        return _load_skops(path, conf.get("skops_trusted_types"))
    if serialization not in FORMATS:
        raise InvalidInputError(
            f"sklearn model {path} uses serialization format {serialization!r}; this "
            f"build reads {', '.join(FORMATS)}"
        )
    # Unpickling runs code from the file: load models from sources you trust.
    with path.open("rb") as source:
        if serialization == "cloudpickle":
            import cloudpickle

            return cloudpickle.load(source)
        return pickle.load(source)


def _load_skops(path: Path, trusted: list[str] | None) -> Any:
    try:
        import skops.io
    except ImportError as e:
        raise InvalidInputError(
            f"the model {path} was saved with skops; install it "
            "(pip install skops) to load it"
        ) from e
    return skops.io.load(path, trusted=trusted)


class SklearnPredictor:
    """The generic ``predict(data, params)`` over an estimator."""

    def __init__(self, estimator: Any, predict_fn: str = "predict") -> None:
        self.estimator = estimator
        self._predict = getattr(estimator, predict_fn)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predict(data)
