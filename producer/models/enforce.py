"""Make model input fit the model's input schema, or say which column does not.

Columns are matched by name and converted when nothing is lost (an integer column
where ``double`` is expected); a missing required column, or a value the type
cannot hold, raises ``InvalidInputError`` naming the column and the reason. Columns
the signature does not name are dropped, so the model sees what it was trained on.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from runstream.errors import InvalidInputError
from runstream.models.signature import ColSpec, Schema, TensorSpec, as_frame

logger = logging.getLogger(__name__)

_INTEGER_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def enforce_schema(data: Any, schema: Schema) -> Any:
    """``data`` converted to what ``schema`` describes: a DataFrame for columns, a
    numpy array for a single tensor."""
    if schema.is_tensor:
        return _enforce_tensor(data, schema)
    return _enforce_columns(_to_frame(data, schema), schema.columns())


def _to_frame(data: Any, schema: Schema) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, np.ndarray | list) and not _is_records(data):
        array = np.asarray(data, dtype=object)
        columns = schema.columns()
        width = array.shape[1] if array.ndim == 2 else 1
        if array.ndim in (1, 2) and width == len(columns):
            names = [c.name or str(i) for i, c in enumerate(columns)]
            return pd.DataFrame(array.reshape(-1, width), columns=names)
        raise InvalidInputError(
            f"input of shape {array.shape} cannot fill the {len(columns)} columns "
            f"the model's signature names ({_names(columns)}); send named columns "
            "(dataframe_split or dataframe_records)"
        )
    return as_frame(data)


def _is_records(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict)


def _enforce_columns(frame: pd.DataFrame, columns: list[ColSpec]) -> pd.DataFrame:
    if columns and all(c.name is None for c in columns):
        # Positional columns: the names in the input do not matter.
        renamed = frame.set_axis([str(i) for i in range(frame.shape[1])], axis=1)
        named = [ColSpec(c.type, str(i), c.required) for i, c in enumerate(columns)]
        return _enforce_columns(renamed, named)

    present = {str(c): c for c in frame.columns}
    out: dict[str, pd.Series] = {}
    for spec in columns:
        name = str(spec.name)
        if name not in present:
            if spec.required:
                raise InvalidInputError(
                    f"column {name!r} is required by the model's signature but "
                    f"missing from the input, which has "
                    f"{', '.join(map(repr, present)) or 'no columns'}; "
                    f"the signature expects {_names(columns)}"
                )
            continue
        out[name] = convert_column(frame[present[name]], spec)
    extra = sorted(set(present) - {str(c.name) for c in columns})
    if extra:
        logger.debug("input columns not in the signature dropped: %s", extra)
    return pd.DataFrame(out, index=frame.index)


def convert_column(series: pd.Series, spec: ColSpec) -> pd.Series:
    """``series`` as the column type ``spec`` names, or an error saying why not."""
    name = str(spec.name)
    if series.dtype.kind == "O":
        # Rows sent as arrays (inputs, instances) arrive as objects; a column whose
        # values are all numbers, or all booleans, is typed by them, so the checks
        # below judge the values rather than how they travelled.
        series = series.infer_objects()
    kind = series.dtype.kind
    values = series.dropna()
    if spec.type in ("double", "float"):
        if kind in "fiu":
            return series.astype("float64" if spec.type == "double" else "float32")
        _refuse(name, spec.type, values, "a number")
    if spec.type in _INTEGER_RANGES:
        return _as_integer(series, spec.type, name)
    if spec.type == "boolean":
        if kind == "b":
            return series
        _refuse(name, spec.type, values, "true or false")
    if spec.type == "string":
        if all(isinstance(v, str) for v in values):
            return series.astype(object)
        _refuse(name, spec.type, values, "a string")
    if spec.type == "binary":
        if all(isinstance(v, bytes | bytearray) for v in values):
            return series
        _refuse(name, spec.type, values, "bytes")
    if spec.type == "datetime":
        try:
            return pd.to_datetime(series)
        except (ValueError, TypeError) as e:
            raise InvalidInputError(
                f"column {name!r} must hold datetimes: {e}; send ISO 8601 text "
                "such as '2024-05-01T12:00:00'"
            ) from e
    raise InvalidInputError(f"column {name!r} has unsupported type {spec.type!r}")


def _as_integer(series: pd.Series, type_name: str, name: str) -> pd.Series:
    if series.isna().any():
        raise InvalidInputError(
            f"column {name!r} must be {type_name} but has missing values; integers "
            "cannot be missing, so fill them, or declare the column double"
        )
    kind = series.dtype.kind
    if kind == "f":
        fractional = series[series != series.round()]
        if not fractional.empty:
            _refuse(name, type_name, fractional, "a whole number")
    elif kind not in "iu":
        _refuse_unless_whole(name, type_name, series)
    low, high = _INTEGER_RANGES[type_name]
    outside = series[(series < low) | (series > high)]
    if not outside.empty:
        _refuse(name, type_name, outside, f"a whole number from {low} to {high}")
    return series.astype("int32" if type_name == "integer" else "int64")


def _refuse_unless_whole(name: str, type_name: str, series: pd.Series) -> None:
    """Refuse a column of objects unless each is a whole number; Python integers
    too large for int64 pass, for the range check to name them."""
    not_whole = series[[not _fits(value, "a whole number") for value in series]]
    if not not_whole.empty:
        _refuse(name, type_name, not_whole, "a whole number")


def _refuse(name: str, type_name: str, values: pd.Series, wanted: str) -> NoReturn:
    bad = next(
        ((index, value) for index, value in values.items() if not _fits(value, wanted)),
        None,
    )
    if bad is None:
        # Each value fits on its own (booleans beside missing values, say): naming
        # one of them would send the user to fix a value that is fine.
        raise InvalidInputError(
            f"column {name!r} must be {type_name}, but its values together "
            f"({values.dtype}) cannot be read as {type_name}; send {wanted} in "
            "every row, with none missing"
        )
    row, value = bad
    raise InvalidInputError(
        f"column {name!r} must be {type_name}, but row {row} holds {value!r} "
        f"({type(value).__name__}); send {wanted} there"
    )


def _fits(value: Any, wanted: str) -> bool:
    if wanted == "a number":
        return isinstance(value, int | float | np.number) and not isinstance(
            value, bool | np.bool_
        )
    if wanted == "a whole number":
        if isinstance(value, bool | np.bool_):
            return False
        if isinstance(value, int | np.integer):
            return True
        return isinstance(value, float | np.floating) and float(value).is_integer()
    if wanted == "a string":
        return isinstance(value, str)
    if wanted == "true or false":
        return isinstance(value, bool | np.bool_)
    if wanted == "bytes":
        return isinstance(value, bytes | bytearray)
    return False


def _enforce_tensor(data: Any, schema: Schema) -> np.ndarray:
    if len(schema.specs) != 1:
        # TODO: models taking several named tensors (dict inputs) are not enforced.
        return data  # type: ignore[no-any-return]
    spec = schema.specs[0]
    assert isinstance(spec, TensorSpec)
    if isinstance(data, pd.DataFrame):
        data = data.to_numpy()
    try:
        array = np.asarray(data)
        if array.dtype != np.dtype(spec.dtype):
            array = _cast(array, spec)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(
            f"the input tensor cannot be read as {spec.dtype}: {e}; send numbers "
            f"in an array of shape {_shape(spec.shape)}"
        ) from e
    expected = spec.shape
    fits = array.ndim == len(expected) and all(
        want in (-1, got) for want, got in zip(expected, array.shape, strict=True)
    )
    if not fits:
        raise InvalidInputError(
            f"the input tensor has shape {_shape(array.shape)} but the model's "
            f"signature expects {_shape(expected)} (-1: any size); reshape the input"
        )
    return array


def _cast(array: np.ndarray, spec: TensorSpec) -> np.ndarray:
    target = np.dtype(spec.dtype)
    if np.can_cast(array.dtype, target, casting="same_kind") or (
        array.dtype.kind in "iu" and target.kind == "f"
    ):
        return array.astype(target)
    raise InvalidInputError(
        f"the input tensor holds {array.dtype} values but the model's signature "
        f"expects {spec.dtype}; converting would lose information, so send "
        f"{spec.dtype} values"
    )


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _names(columns: list[ColSpec]) -> str:
    return ", ".join(f"{c.name} ({c.type})" for c in columns)
