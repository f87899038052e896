"""A fitted scikit-learn model as the files of a ``model/`` artifact folder.

The folder holds the pickled model, an ``MLmodel`` file that says how it was saved
(flavor, library and Python versions) and a ``requirements.txt`` to load it again.
The ``MLmodel`` text is written by hand: it is a handful of flat keys, and the SDK
should not need a YAML library for that.
"""

from __future__ import annotations

import logging
import pickle
import platform
import uuid
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MODEL_FILE = "model.pkl"
MLMODEL_FILE = "MLmodel"
REQUIREMENTS_FILE = "requirements.txt"
# What a fresh environment needs to unpickle a scikit-learn model.
REQUIRED_DISTRIBUTIONS = ("scikit-learn", "numpy", "scipy")


def write_model_folder(
    model: Any, folder: Path, run_id: str, artifact_path: str = "model"
) -> list[Path]:
    """Write ``model`` into ``folder`` and return the files written, pickle first."""
    folder.mkdir(parents=True, exist_ok=True)

    pickled = folder / MODEL_FILE
    with pickled.open("wb") as out:
        pickle.dump(model, out, protocol=pickle.DEFAULT_PROTOCOL)

    mlmodel = folder / MLMODEL_FILE
    mlmodel.write_text(mlmodel_text(model, run_id, artifact_path), encoding="utf-8")

    requirements = folder / REQUIREMENTS_FILE
    requirements.write_text(requirements_text(), encoding="utf-8")

    logger.debug(
        "model folder written path=%s bytes=%d", folder, pickled.stat().st_size
    )
    return [pickled, mlmodel, requirements]


def mlmodel_text(model: Any, run_id: str, artifact_path: str = "model") -> str:
    """The ``MLmodel`` description: YAML, with every version quoted so that a
    version such as ``1.10`` is not read back as a number."""
    cls = type(model)
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    lines = [
        f"artifact_path: {artifact_path}",
        "flavors:",
        "  sklearn:",
        f"    pickled_model: {MODEL_FILE}",
        "    serialization_format: pickle",
        f"    sklearn_version: '{_version('scikit-learn')}'",
        f"    estimator_class: {cls.__module__}.{cls.__qualname__}",
        f"python_version: '{platform.python_version()}'",
        f"requirements: {REQUIREMENTS_FILE}",
        f"model_uuid: {uuid.uuid4().hex}",
        f"run_id: {run_id}",
        f"utc_time_created: '{created}'",
    ]
    return "\n".join(lines) + "\n"


def requirements_text() -> str:
    """Pinned versions of the distributions the pickle needs, one a line."""
    pins = []
    for name in REQUIRED_DISTRIBUTIONS:
        version = _version(name)
        if version:
            pins.append(f"{name}=={version}")
    return "\n".join(pins) + "\n"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""
