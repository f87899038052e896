"""Input examples: saved beside the model, in both of MLflow's layouts.

``input_example.json`` holds the example itself (a DataFrame as ``columns`` and
``data``, an array as nested lists); ``serving_input_example.json`` holds the same
example as a request body for ``/invocations``, ready to send.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runstream.errors import InvalidInputError
from runstream.models.signature import as_frame

logger = logging.getLogger(__name__)

EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"


def normalise_example(example: Any) -> pd.DataFrame | np.ndarray:
    """A DataFrame or an array: the two shapes an example is saved in."""
    if isinstance(example, np.ndarray):
        return example
    if isinstance(example, pd.Series):
        return example.to_frame()
    return as_frame(example)


def save_example(example: Any, folder: Path) -> dict[str, Any]:
    """Write both example files; return the ``saved_input_example_info`` entry."""
    data = normalise_example(example)
    if isinstance(data, np.ndarray):
        body: Any = _json_safe(data.tolist())
        serving: dict[str, Any] = {"inputs": body}
        info: dict[str, Any] = {"type": "ndarray"}
    else:
        split = json.loads(data.to_json(orient="split", index=False, date_format="iso"))
        body = {"columns": split["columns"], "data": split["data"]}
        serving = {"dataframe_split": body}
        info = {"type": "dataframe", "pandas_orient": "split"}

    (folder / EXAMPLE_FILE).write_text(json.dumps(body), encoding="utf-8")
    (folder / SERVING_EXAMPLE_FILE).write_text(
        json.dumps(serving, indent=2), encoding="utf-8"
    )
    return {
        "artifact_path": EXAMPLE_FILE,
        "serving_input_path": SERVING_EXAMPLE_FILE,
        **info,
    }


def load_example(folder: Path, info: dict[str, Any] | None) -> Any:
    """The example saved in ``folder``, or None if the model has none."""
    if not info:
        return None
    path = folder / info.get("artifact_path", EXAMPLE_FILE)
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    if info.get("type") == "ndarray":
        return np.asarray(raw)
    if info.get("type") == "dataframe":
        if isinstance(raw, dict) and "data" in raw:
            return pd.DataFrame(raw["data"], columns=raw.get("columns"))
        return pd.DataFrame(raw)
    raise InvalidInputError(
        f"input example type {info.get('type')!r} in {folder} is not supported; "
        "only dataframe and ndarray examples are read"
    )


def _json_safe(value: Any) -> Any:
    # tolist() leaves NaN floats, which strict JSON has no word for.
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value
