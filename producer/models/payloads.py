"""Scoring request bodies and answers, in the formats MLflow's scoring server uses.

A JSON body holds exactly one of:

    {"dataframe_split": {"columns": [...], "data": [[...], ...]}}
    {"dataframe_records": [{"col": value, ...}, ...]}
    {"instances": [...]}      or      {"inputs": [...] | {"name": [...], ...}}

and optionally ``"params": {...}``. A CSV body is a table with a header row. The
answer is ``{"predictions": ...}``.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import numpy as np
import pandas as pd

from runstream.errors import InvalidInputError

logger = logging.getLogger(__name__)

INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def parse_json(text: str | bytes) -> tuple[Any, dict[str, Any] | None]:
    """(model input, params) from a JSON request body."""
    try:
        body = json.loads(text)
    except ValueError as e:
        raise InvalidInputError(f"the input is not valid JSON: {e}") from e
    if not isinstance(body, dict):
        raise InvalidInputError(
            "the request body must be a JSON object with one of "
            f"{', '.join(INPUT_KEYS)}"
        )
    given = [key for key in INPUT_KEYS if key in body]
    if len(given) != 1:
        raise InvalidInputError(
            f"the request body must hold exactly one of {', '.join(INPUT_KEYS)}; "
            f"it holds {', '.join(given) or 'none of them'} (keys: "
            f"{', '.join(sorted(body)) or 'none'})"
        )
    params = body.get("params")
    if params is not None and not isinstance(params, dict):
        raise InvalidInputError("params must be a JSON object of name: value")
    key = given[0]
    return _input(key, body[key]), params


def _input(key: str, value: Any) -> Any:
    if key == "dataframe_split":
        if not isinstance(value, dict) or "data" not in value:
            raise InvalidInputError(
                'dataframe_split must be {"columns": [...], "data": [[...], ...]}'
            )
        try:
            return pd.DataFrame(
                value["data"], columns=value.get("columns"), index=value.get("index")
            )
        except (ValueError, TypeError) as e:
            raise InvalidInputError(
                f"dataframe_split does not form a table: {e}"
            ) from e
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise InvalidInputError(
                'dataframe_records must be a list of objects, e.g. [{"age": 50}]'
            )
        return pd.DataFrame.from_records(value)
    # instances / inputs: tensors, or named columns given as records or lists.
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return pd.DataFrame.from_records(value)
    if isinstance(value, dict):
        return pd.DataFrame({k: v if np.ndim(v) else [v] for k, v in value.items()})
    try:
        array = np.asarray(value)
        if array.dtype.kind == "U":
            # numpy writes [[1.0, "x"]] as strings ("1.0"); keep each value as
            # sent, so the schema check judges, and names, the one that is wrong.
            sent = np.asarray(value, dtype=object)
            if not all(isinstance(v, str) for v in sent.flat):
                array = sent
        return array
    except ValueError as e:
        raise InvalidInputError(
            f"{key} must be a rectangular array (every row the same length): {e}"
        ) from e


def parse_csv(text: str | bytes) -> pd.DataFrame:
    data = text.decode() if isinstance(text, bytes) else text
    try:
        return pd.read_csv(io.StringIO(data))
    except (ValueError, pd.errors.ParserError) as e:
        raise InvalidInputError(f"the CSV body cannot be read: {e}") from e


def predictions_json(result: Any) -> dict[str, Any]:
    """``{"predictions": ...}`` with plain JSON values."""
    if isinstance(result, pd.DataFrame):
        predictions: Any = json.loads(result.to_json(orient="records"))
    elif isinstance(result, pd.Series):
        predictions = json.loads(result.to_json(orient="values"))
    elif isinstance(result, np.ndarray):
        predictions = _without_nan(result.tolist())
    else:
        predictions = _without_nan(result)
    return {"predictions": predictions}


def _without_nan(value: Any) -> Any:
    # Strict JSON has no NaN; None (null) is what pandas writes for it too.
    if isinstance(value, list):
        return [_without_nan(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value
