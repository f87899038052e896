"""Signatures: inferred from examples, stored as MLflow stores them, enforced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runstream.errors import InvalidInputError
from runstream.models import ColSpec, ModelSignature, Schema, TensorSpec
from runstream.models.enforce import convert_column, enforce_schema
from runstream.models.signature import infer_signature


def test_columns_get_mlflow_type_names() -> None:
    frame = pd.DataFrame(
        {
            "flag": [True],
            "small": np.array([1], dtype="int32"),
            "big": [1],
            "single": np.array([1.0], dtype="float32"),
            "double": [1.0],
            "text": ["a"],
            "raw": [b"x"],
            "when": pd.to_datetime(["2024-01-01"]),
        }
    )
    schema = infer_signature(frame).inputs
    types = {c.name: c.type for c in schema.columns()}
    assert types == {
        "flag": "boolean",
        "small": "integer",
        "big": "long",
        "single": "float",
        "double": "double",
        "text": "string",
        "raw": "binary",
        "when": "datetime",
    }


def test_arrays_become_tensors_with_a_free_first_dimension() -> None:
    signature = infer_signature(np.zeros((5, 3)), np.zeros(5))
    assert signature.inputs.specs == (TensorSpec("float64", (-1, 3)),)
    assert signature.outputs is not None and signature.outputs.is_tensor


def test_signature_round_trips_through_the_mlmodel_layout() -> None:
    signature = ModelSignature(
        Schema((ColSpec("double", "a"), ColSpec("string", "b", required=False))),
        Schema((TensorSpec("float64", (-1,)),)),
    )
    stored = signature.to_dict()
    assert isinstance(stored["inputs"], str) and stored["params"] is None
    assert ModelSignature.from_dict(stored) == signature


def test_records_and_dicts_are_tables_too() -> None:
    assert [c.name for c in infer_signature([{"a": 1, "b": "x"}]).inputs.columns()] == [
        "a",
        "b",
    ]
    assert infer_signature({"a": [1.5]}).inputs.columns()[0].type == "double"
    with pytest.raises(InvalidInputError, match="cannot infer"):
        infer_signature("text")


SCHEMA = Schema((ColSpec("double", "age"), ColSpec("long", "visits")))


def test_enforcement_converts_safely_and_drops_unknown_columns() -> None:
    frame = pd.DataFrame({"visits": [1, 2], "age": [30, 40], "extra": ["x", "y"]})
    out = enforce_schema(frame, SCHEMA)
    assert list(out.columns) == ["age", "visits"]
    assert out["age"].dtype == "float64" and out["visits"].dtype == "int64"
    whole = enforce_schema(pd.DataFrame({"age": [1.0], "visits": [3.0]}), SCHEMA)
    assert whole["visits"].tolist() == [3]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"age": [1.0]}), "column 'visits' is required"),
        (
            pd.DataFrame({"age": ["old"], "visits": [1]}),
            "column 'age' must be double, but row 0 holds 'old'",
        ),
        (
            pd.DataFrame({"age": [1.0], "visits": [1.5]}),
            "column 'visits' must be long, but row 0 holds 1.5",
        ),
        (
            pd.DataFrame({"age": [1.0, 2.0], "visits": [1, None]}),
            "column 'visits' must be long but has missing values",
        ),
    ],
)
def test_enforcement_names_the_column_and_why(
    frame: pd.DataFrame, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        enforce_schema(frame, SCHEMA)


def test_tensor_enforcement_checks_shape_and_dtype() -> None:
    schema = Schema((TensorSpec("float64", (-1, 2)),))
    assert enforce_schema([[1, 2]], schema).dtype == np.float64
    with pytest.raises(InvalidInputError, match=r"shape \(1, 3\).*expects \(-1, 2\)"):
        enforce_schema([[1.0, 2.0, 3.0]], schema)
    with pytest.raises(InvalidInputError, match="expects int64"):
        enforce_schema([[1.5, 2.0]], Schema((TensorSpec("int64", (-1, 2)),)))


def test_refusal_never_blames_a_value_that_fits() -> None:
    # Booleans beside a missing value: each fits, the column as a whole does not.
    column = pd.Series([True, None], dtype=object)
    with pytest.raises(InvalidInputError) as raised:
        convert_column(column, ColSpec("boolean", "flag", True))
    assert "row 0" not in str(raised.value) and "row 1" not in str(raised.value)
    assert "send true or false in every row" in str(raised.value)

    whole = pd.Series([1, 2.0, 2**70], dtype=object)
    with pytest.raises(InvalidInputError, match=r"row 2 holds 1180591620717411303424"):
        convert_column(whole, ColSpec("long", "n", True))
    assert convert_column(whole[:2], ColSpec("long", "n", True)).tolist() == [1, 2]
