"""``save_model`` writes a model folder; ``log_model`` logs one into a run.

The flavor follows from the model: a scikit-learn estimator gets the ``sklearn``
flavor, a ``PythonModel`` the generic Python-function flavor. Either way the
folder holds the ``MLmodel`` descriptor, the requirements and environment files,
and, when an input example is given, the example and the signature inferred from
it (with the output schema from predicting on the example).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runstream.errors import InvalidInputError
from runstream.models import python_model, sklearn
from runstream.models.environment import write_environment
from runstream.models.examples import normalise_example, save_example
from runstream.models.mlmodel import ModelDescriptor
from runstream.models.signature import ModelSignature, infer_signature

logger = logging.getLogger(__name__)

DEFAULT_ARTIFACT_PATH = "model"


@dataclass(frozen=True)
class ModelInfo:
    """Where a logged model lives, and what its descriptor says."""

    run_id: str
    artifact_path: str
    model_uri: str
    descriptor: ModelDescriptor
    registered_model_version: int | None = None


def save_model(
    model: Any,
    path: str | Path,
    *,
    input_example: Any | None = None,
    signature: ModelSignature | None = None,
    extra_pip_requirements: Sequence[str] = (),
    artifacts: dict[str, str | Path] | None = None,
    serialization_format: str = "cloudpickle",
    _run_id: str | None = None,
    _artifact_path: str | None = None,
) -> ModelDescriptor:
    """Write ``model`` into the folder ``path`` (which must not exist yet or be
    empty) and return its descriptor."""
    folder = Path(path)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInputError(
            f"{folder} exists and is not empty; save the model into a new folder"
        )
    if artifacts and not isinstance(model, python_model.PythonModel):
        raise InvalidInputError(
            "artifacts are kept only for runstream.models.PythonModel models, which "
            "receive their paths in load_context; leave artifacts out"
        )
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = ModelDescriptor(run_id=_run_id, artifact_path=_artifact_path)

    if sklearn.is_sklearn_model(model):
        requirements = sklearn.save(model, folder, descriptor, serialization_format)
    elif isinstance(model, python_model.PythonModel):
        requirements = python_model.save(model, folder, descriptor, artifacts)
    else:
        raise InvalidInputError(
            f"runstream cannot save a {type(model).__module__}."
            f"{type(model).__name__}; pass a scikit-learn estimator, or wrap the "
            "model in a runstream.models.PythonModel subclass"
        )
    if input_example is not None:
        descriptor.saved_input_example_info = save_example(input_example, folder)
        if signature is None:
            signature = _signature_from_example(model, input_example)
    descriptor.signature = signature
    write_environment(folder, [*requirements, *extra_pip_requirements])
    descriptor.save(folder)
    logger.info("model saved path=%s flavors=%s", folder, ",".join(descriptor.flavors))
    return descriptor


def _signature_from_example(model: Any, example: Any) -> ModelSignature:
    data = normalise_example(example)
    inputs = infer_signature(data).inputs
    try:
        # Predict once on the example, as the model will be called, for the
        # output schema; a model that cannot still gets its input schema.
        from runstream.models.python_model import PythonModelContext

        if isinstance(model, python_model.PythonModel):
            output = model.predict(PythonModelContext(), data)
        else:
            output = model.predict(data)
        return ModelSignature(inputs, infer_signature(output).inputs)
    except Exception as e:  # any failure of user code only costs the output schema
        logger.warning("no output schema: predicting on the example failed: %s", e)
        return ModelSignature(inputs)


def log_model(
    model: Any,
    artifact_path: str = DEFAULT_ARTIFACT_PATH,
    *,
    input_example: Any | None = None,
    signature: ModelSignature | None = None,
    extra_pip_requirements: Sequence[str] = (),
    artifacts: dict[str, str | Path] | None = None,
    registered_model_name: str | None = None,
    run_id: str | None = None,
) -> ModelInfo:
    """Save ``model`` and log its folder under the run's ``artifact_path``, then
    record a ``ModelLogged`` event. With ``registered_model_name`` the model is
    registered as a new version of that name (created if needed)."""
    from runstream import tracking

    if run_id is None:
        run = tracking.active_run() or tracking.start_run()
        run_id = run.info.run_id
    rid = run_id
    artifact_path = artifact_path.strip("/")
    with tempfile.TemporaryDirectory(prefix="runstream-model-") as temp:
        folder = Path(temp) / "model"
        descriptor = save_model(
            model,
            folder,
            input_example=input_example,
            signature=signature,
            extra_pip_requirements=extra_pip_requirements,
            artifacts=artifacts,
            _run_id=rid,
            _artifact_path=artifact_path,
        )
        log_folder(folder, artifact_path, rid, descriptor)

    uri = f"runs:/{rid}/{artifact_path}"
    version = None
    if registered_model_name:
        from runstream.registry import register_model

        version = register_model(uri, registered_model_name).version
    return ModelInfo(rid, artifact_path, uri, descriptor, version)


def log_folder(
    folder: Path, artifact_path: str, run_id: str, descriptor: ModelDescriptor
) -> None:
    """Log every file of a model folder as an artifact, then ``ModelLogged``;
    the event comes last, so whoever sees it can fetch every file."""
    from runstream import artifacts, context

    artifacts.log_folder(run_id, folder, artifact_path)
    context.sender().submit(
        "ModelLogged",
        {
            "run_id": run_id,
            "artifact_path": artifact_path,
            "model_uuid": descriptor.model_uuid,
            "flavors": sorted(descriptor.flavors),
            "utc_time_created": descriptor.utc_time_created,
            "mlmodel": descriptor.to_yaml(),
        },
    )
    logger.info(
        "model logged run_id=%s artifact_path=%s flavors=%s",
        run_id,
        artifact_path,
        ",".join(descriptor.flavors),
    )
