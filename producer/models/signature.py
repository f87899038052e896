"""Model signatures: what a model takes and returns, in MLflow's MLmodel format.

A schema is either named columns (``ColSpec``: a type name such as ``double``) or
tensors (``TensorSpec``: a numpy dtype and a shape, ``-1`` for any size). In the
``MLmodel`` file each schema is stored as a JSON string, as MLflow stores it, so
either tool reads the other's signatures.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from runstream.errors import InvalidInputError

logger = logging.getLogger(__name__)

# MLflow's column types, in order of the numpy kinds that map to them.
COLUMN_TYPES = (
    "boolean",
    "integer",
    "long",
    "float",
    "double",
    "string",
    "binary",
    "datetime",
)


@dataclass(frozen=True)
class ColSpec:
    """One column: its type, name (None for a positional column) and whether it
    must be present."""

    type: str
    name: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            spec["name"] = self.name
        spec["required"] = self.required
        return spec


@dataclass(frozen=True)
class TensorSpec:
    """One tensor: a numpy dtype name and a shape, -1 where any size fits."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "type": "tensor",
            "tensor-spec": {"dtype": self.dtype, "shape": list(self.shape)},
        }
        if self.name is not None:
            spec["name"] = self.name
        return spec


Spec = ColSpec | TensorSpec


@dataclass(frozen=True)
class Schema:
    """The inputs or the outputs of a model: all columns or all tensors."""

    specs: tuple[Spec, ...]

    @property
    def is_tensor(self) -> bool:
        return bool(self.specs) and isinstance(self.specs[0], TensorSpec)

    def columns(self) -> list[ColSpec]:
        return [s for s in self.specs if isinstance(s, ColSpec)]

    def to_json(self) -> str:
        return json.dumps([spec.to_dict() for spec in self.specs])

    @classmethod
    def from_json(cls, text: str) -> Schema:
        try:
            raw = json.loads(text)
        except (TypeError, json.JSONDecodeError) as e:
            raise InvalidInputError(
                f"the signature schema {text!r} is not JSON; fix the MLmodel file"
            ) from e
        return cls(tuple(_spec_from_dict(item) for item in raw))


def _spec_from_dict(raw: dict[str, Any]) -> Spec:
    kind = raw.get("type")
    if kind == "tensor":
        tensor = raw["tensor-spec"]
        return TensorSpec(tensor["dtype"], tuple(tensor["shape"]), raw.get("name"))
    if kind in COLUMN_TYPES:
        return ColSpec(kind, raw.get("name"), raw.get("required", True))
    # TODO: MLflow's Array, Object and Map column types are not enforced yet.
    raise InvalidInputError(
        f"signature column type {kind!r} is not supported; use one of "
        f"{', '.join(COLUMN_TYPES)} or a tensor"
    )


@dataclass(frozen=True)
class ModelSignature:
    inputs: Schema
    outputs: Schema | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``signature`` entry of an MLmodel file."""
        return {
            "inputs": self.inputs.to_json(),
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelSignature:
        outputs = raw.get("outputs")
        return cls(
            Schema.from_json(raw["inputs"]),
            Schema.from_json(outputs) if outputs else None,
        )


def infer_signature(
    model_input: Any, model_output: Any | None = None
) -> ModelSignature:
    """The signature that fits an input example (and, if given, its output).

    A DataFrame, a dict of columns or a list of records gives named columns; a
    numpy array gives a tensor whose first dimension is free.
    """
    outputs = infer_schema(model_output) if model_output is not None else None
    return ModelSignature(infer_schema(model_input), outputs)


def infer_schema(data: Any) -> Schema:
    if isinstance(data, pd.Series):
        return Schema((ColSpec(column_type(data), _series_name(data)),))
    if isinstance(data, np.ndarray):
        if data.ndim == 1 and data.dtype.kind in "OUS":
            return Schema((ColSpec(column_type(pd.Series(data))),))
        shape = (-1, *data.shape[1:])
        return Schema((TensorSpec(_tensor_dtype(data), shape),))
    frame = as_frame(data)
    return Schema(tuple(ColSpec(column_type(frame[c]), str(c)) for c in frame.columns))


def as_frame(data: Any) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a dict of columns or a list of records."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, dict):
        columns = {k: v if np.ndim(v) else [v] for k, v in data.items()}
        return pd.DataFrame(columns)
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return pd.DataFrame.from_records(data)
    raise InvalidInputError(
        f"cannot infer a signature from {type(data).__name__}; pass a pandas "
        "DataFrame, a dict of columns, a list of records or a numpy array"
    )


def column_type(series: pd.Series) -> str:
    """MLflow's type name for a column's values."""
    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "integer" if dtype.itemsize < 4 or str(dtype) == "int32" else "long"
    if kind == "f":
        return "float" if dtype.itemsize <= 4 else "double"
    if kind == "M":
        return "datetime"
    values = series.dropna()
    if kind in "OUT" or pd.api.types.is_string_dtype(dtype):
        if all(isinstance(v, str) for v in values):
            return "string"
        if all(isinstance(v, bytes | bytearray) for v in values):
            return "binary"
    raise InvalidInputError(
        f"column {_series_name(series)!r} holds {dtype} values, which no signature "
        "type fits; convert it to numbers, booleans, strings, bytes or datetimes"
    )


def _tensor_dtype(array: np.ndarray) -> str:
    if array.dtype.kind == "O":
        raise InvalidInputError(
            "a numpy array of Python objects has no tensor type; convert it to a "
            "numeric dtype, or pass a DataFrame"
        )
    return str(array.dtype)


def _series_name(series: pd.Series) -> str | None:
    return None if series.name is None else str(series.name)
