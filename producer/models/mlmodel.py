"""The ``MLmodel`` descriptor at the root of every model folder.

It is YAML in MLflow's layout: ``flavors`` (how each library loads the model; the
``python_function`` flavor names a ``loader_module`` any Python process can use),
``signature``, ``saved_input_example_info``, and identity fields. Keys this build
does not interpret are kept as they were, so a descriptor written by MLflow comes
back out unchanged.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from runstream.errors import InvalidInputError, NotFoundError
from runstream.models.signature import ModelSignature

logger = logging.getLogger(__name__)

MLMODEL_FILE = "MLmodel"
PYFUNC_FLAVOR = "python_function"

_KNOWN_KEYS = (
    "artifact_path",
    "run_id",
    "flavors",
    "model_uuid",
    "utc_time_created",
    "signature",
    "saved_input_example_info",
)


def _now() -> str:
    # MLflow's layout: naive UTC with microseconds.
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class ModelDescriptor:
    """What an ``MLmodel`` file says about its folder."""

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_id: str | None = None
    artifact_path: str | None = None
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    utc_time_created: str = field(default_factory=_now)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pyfunc(self) -> dict[str, Any]:
        """The ``python_function`` flavor; every loadable model has one."""
        conf = self.flavors.get(PYFUNC_FLAVOR)
        if conf is None:
            raise InvalidInputError(
                f"the model has no {PYFUNC_FLAVOR} flavor (it has "
                f"{', '.join(self.flavors) or 'none'}), so no generic loader can "
                "load it; save it again with runstream.save_model"
            )
        return conf

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.artifact_path is not None:
            out["artifact_path"] = self.artifact_path
        out["flavors"] = self.flavors
        out["model_uuid"] = self.model_uuid
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.saved_input_example_info is not None:
            out["saved_input_example_info"] = self.saved_input_example_info
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
        out["utc_time_created"] = self.utc_time_created
        return {**self.extra, **out}

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), default_flow_style=False, sort_keys=True)

    def save(self, folder: Path) -> Path:
        path = folder / MLMODEL_FILE
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelDescriptor:
        signature = raw.get("signature")
        return cls(
            flavors=dict(raw.get("flavors") or {}),
            run_id=raw.get("run_id"),
            artifact_path=raw.get("artifact_path"),
            model_uuid=raw.get("model_uuid") or uuid.uuid4().hex,
            utc_time_created=str(raw.get("utc_time_created") or _now()),
            signature=ModelSignature.from_dict(signature) if signature else None,
            saved_input_example_info=raw.get("saved_input_example_info"),
            extra={k: v for k, v in raw.items() if k not in _KNOWN_KEYS},
        )

    @classmethod
    def load(cls, folder: Path) -> ModelDescriptor:
        path = folder / MLMODEL_FILE
        if not path.is_file():
            raise NotFoundError(
                f"no {MLMODEL_FILE} file in {folder}; a model folder is what "
                "runstream.save_model (or mlflow.*.save_model) writes"
            )
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise InvalidInputError(f"{path} is not valid YAML: {e}") from e
        if not isinstance(raw, dict):
            raise InvalidInputError(f"{path} does not hold a YAML mapping")
        return cls.from_dict(raw)
