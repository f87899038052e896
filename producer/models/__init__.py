"""Models: a folder with an ``MLmodel`` descriptor, in MLflow's format.

    import runstream
    info = runstream.log_model(estimator, "model", input_example=X[:5])
    model = runstream.load_model(info.model_uri)   # or models:/diabetes/Production
    model.predict(X)

``save_model`` and ``log_model`` pick the flavor from the model: ``sklearn`` for a
scikit-learn estimator, the generic Python-function flavor for a ``PythonModel``.
MLflow loads what runstream saves (``mlflow.pyfunc.load_model``), and runstream
loads what MLflow saves.
"""

from __future__ import annotations

from pathlib import Path

from runstream.models.mlmodel import ModelDescriptor
from runstream.models.pyfunc import PyFuncModel, load_folder
from runstream.models.python_model import PythonModel, PythonModelContext
from runstream.models.save import ModelInfo, log_model, save_model
from runstream.models.signature import (
    ColSpec,
    ModelSignature,
    Schema,
    TensorSpec,
    infer_signature,
)
from runstream.models.uris import local_model_folder


def load_model(
    model_uri: str | Path, dst_path: str | Path | None = None
) -> PyFuncModel:
    """Load a model from a local folder, ``runs:/<run_id>/<path>``,
    ``models:/<name>/<version>``, ``models:/<name>/<stage>`` or
    ``models:/<name>@<alias>``; remote ones are downloaded into ``dst_path``."""
    return load_folder(local_model_folder(model_uri, dst_path))


__all__ = [
    "ColSpec",
    "ModelDescriptor",
    "ModelInfo",
    "ModelSignature",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "Schema",
    "TensorSpec",
    "infer_signature",
    "load_model",
    "local_model_folder",
    "log_model",
    "save_model",
]
