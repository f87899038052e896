"""Loading a model folder as one generic predictor, whatever flavor wrote it.

The ``python_function`` flavor's ``loader_module`` decides: the sklearn layout and
runstream's Python-model flavor are read natively; any other module (a flavor
runstream does not know, such as ``mlflow.pyfunc.model`` for MLflow's own custom
models) is imported and its ``_load_pyfunc(path)`` called, which is the contract
MLflow's format defines for loader modules.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import sys
from pathlib import Path
from typing import Any

from runstream.errors import InvalidInputError
from runstream.models import python_model, sklearn
from runstream.models.enforce import enforce_schema
from runstream.models.examples import load_example
from runstream.models.mlmodel import ModelDescriptor

logger = logging.getLogger(__name__)


class PyFuncModel:
    """A loaded model: ``predict`` checks the input against the signature first."""

    def __init__(self, descriptor: ModelDescriptor, implementation: Any, path: Path):
        self.metadata = descriptor
        self.path = path
        self._implementation = implementation
        self._takes_params = _accepts_params(implementation.predict)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predict on ``data`` (a DataFrame, an array, records); input that does
        not fit the signature raises InvalidInputError naming the column."""
        signature = self.metadata.signature
        if signature is not None:
            data = enforce_schema(data, signature.inputs)
        if self._takes_params:
            return self._implementation.predict(data, params=params)
        if params:
            raise InvalidInputError(
                f"the model at {self.path} takes no params, but {sorted(params)} "
                "were given; leave them out"
            )
        return self._implementation.predict(data)

    def input_example(self) -> Any:
        """The input example saved with the model, or None."""
        return load_example(self.path, self.metadata.saved_input_example_info)

    def unwrap(self) -> Any:
        """The underlying object: the estimator, or the PythonModel instance."""
        for attribute in ("estimator", "python_model", "sklearn_model"):
            inner = getattr(self._implementation, attribute, None)
            if inner is not None:
                return inner
        return self._implementation

    def __repr__(self) -> str:
        loader = self.metadata.pyfunc.get("loader_module")
        return f"PyFuncModel(path={str(self.path)!r}, loader_module={loader!r})"


def load_folder(folder: Path) -> PyFuncModel:
    """Load the model saved in a local folder."""
    descriptor = ModelDescriptor.load(folder)
    conf = descriptor.pyfunc
    loader = conf.get("loader_module", "")
    if loader in (sklearn.MLFLOW_LOADER, sklearn.__name__) and (
        sklearn.FLAVOR in descriptor.flavors
    ):
        estimator = sklearn.load(folder, descriptor)
        implementation: Any = sklearn.SklearnPredictor(
            estimator, conf.get("predict_fn", "predict")
        )
    elif loader == python_model.LOADER_MODULE:
        implementation = python_model._load_pyfunc(str(folder))
    else:
        implementation = _load_with_module(folder, conf, loader)
    logger.info("model loaded path=%s loader_module=%s", folder, loader)
    return PyFuncModel(descriptor, implementation, folder)


def _load_with_module(folder: Path, conf: dict[str, Any], loader: str) -> Any:
    code = conf.get("code")
    if code:
        # The flavor ships its own modules; they must be importable to unpickle.
        sys.path.insert(0, str(folder / code))
    try:
        module = importlib.import_module(loader)
    except ImportError as e:
        raise InvalidInputError(
            f"the model at {folder} is loaded by the module {loader!r}, which is not "
            f"installed ({e}); install the model's requirements.txt"
        ) from e
    data = folder / conf["data"] if conf.get("data") else folder
    return module._load_pyfunc(str(data))


def _accepts_params(predict: Any) -> bool:
    try:
        return "params" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        return False
