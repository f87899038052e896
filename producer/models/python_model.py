"""The generic Python-function flavor: any user class with a ``predict`` method.

Subclass ``PythonModel``; runstream pickles the instance with cloudpickle, copies
the files named in ``artifacts`` into the model folder, and hands their local paths
back through ``PythonModelContext`` when the model is loaded.

The ``python_function`` flavor names this module as its ``loader_module``, and the
module-level ``_load_pyfunc(path)`` is the function MLflow's generic loader calls,
so ``mlflow.pyfunc.load_model`` loads these models as long as runstream is
installed (it is listed in the model's requirements).
"""

from __future__ import annotations

import inspect
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runstream.errors import InvalidInputError
from runstream.models import environment as env
from runstream.models.mlmodel import PYFUNC_FLAVOR, ModelDescriptor

logger = logging.getLogger(__name__)

LOADER_MODULE = __name__
MODEL_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"
REQUIREMENTS = ("runstream", "cloudpickle", "numpy", "pandas")


@dataclass(frozen=True)
class PythonModelContext:
    """What a loaded model may use: local paths of its artifacts, by name."""

    artifacts: dict[str, str] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


class PythonModel:
    """Base for user models: override ``predict``, and ``load_context`` to open
    artifacts (weights, vocabularies) once when the model is loaded."""

    def load_context(self, context: PythonModelContext) -> None:
        """Called once after loading, before the first ``predict``."""

    def predict(
        self,
        context: PythonModelContext,
        model_input: Any,
        params: dict[str, Any] | None = None,
    ) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must override predict(context, model_input, "
            "params=None)"
        )


# TODO: code_paths (user modules shipped inside the model) are not copied; a
# model's class must be importable where it loads, or defined in __main__, which
# cloudpickle pickles by value.
def save(
    model: PythonModel,
    folder: Path,
    descriptor: ModelDescriptor,
    artifacts: dict[str, str | Path] | None = None,
) -> list[str]:
    """Pickle ``model`` and copy its artifacts into ``folder``; add the flavor to
    ``descriptor`` and return the requirements."""
    import cloudpickle

    if not isinstance(model, PythonModel):
        raise InvalidInputError(
            f"{type(model).__name__} is not a runstream.models.PythonModel; "
            "subclass it and override predict(context, model_input, params=None)"
        )
    with (folder / MODEL_FILE).open("wb") as out:
        cloudpickle.dump(model, out)

    conf: dict[str, Any] = {
        "loader_module": LOADER_MODULE,
        "python_model": MODEL_FILE,
        "cloudpickle_version": env.installed_version("cloudpickle"),
        "python_version": env.python_version(),
        "env": dict(env.ENV_CONF),
    }
    if artifacts:
        conf["artifacts"] = _copy_artifacts(artifacts, folder)
    descriptor.flavors[PYFUNC_FLAVOR] = conf
    return env.pinned(REQUIREMENTS)


def _copy_artifacts(
    artifacts: dict[str, str | Path], folder: Path
) -> dict[str, dict[str, str]]:
    entries = {}
    for name, source in artifacts.items():
        source = Path(source)
        if not source.exists():
            raise InvalidInputError(
                f"artifact {name!r} points at {source}, which does not exist; pass "
                "the path of a file or folder"
            )
        relative = f"{ARTIFACTS_DIR}/{name}"
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
        entries[name] = {"path": relative}
    return entries


class PythonModelPredictor:
    """The generic ``predict(data, params)`` over a loaded ``PythonModel``."""

    def __init__(self, model: Any, context: PythonModelContext) -> None:
        self.python_model = model
        self.context = context
        self._takes_params = "params" in inspect.signature(model.predict).parameters

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if self._takes_params:
            return self.python_model.predict(self.context, data, params=params)
        return self.python_model.predict(self.context, data)


def _load_pyfunc(path: str, model_config: dict[str, Any] | None = None) -> Any:
    """Load the model in folder ``path``: the loader-module contract MLflow's
    ``mlflow.pyfunc.load_model`` calls, and runstream's own loader too."""
    import cloudpickle

    folder = Path(path)
    conf = ModelDescriptor.load(folder).pyfunc
    with (folder / conf.get("python_model", MODEL_FILE)).open("rb") as source:
        model = cloudpickle.load(source)
    artifacts = {
        name: str(folder / entry["path"])
        for name, entry in (conf.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, dict(model_config or {}))
    model.load_context(context)
    logger.debug("python model loaded class=%s", type(model).__name__)
    return PythonModelPredictor(model, context)
