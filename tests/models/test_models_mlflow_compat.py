"""The format both ways, with the real mlflow package (the test extras pin it)."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from mlflow.models import Model
from sklearn.linear_model import LinearRegression

from runstream.errors import InvalidInputError
from runstream.models import load_model


def test_mlflow_loads_a_runstream_sklearn_model(
    sklearn_folder: Path, regression: LinearRegression, diabetes: tuple
) -> None:
    X = diabetes[0].head(4)
    loaded = mlflow.pyfunc.load_model(str(sklearn_folder))
    np.testing.assert_allclose(loaded.predict(X), regression.predict(X))
    signature = Model.load(str(sklearn_folder)).signature
    assert signature is not None and signature.inputs.input_names()[0] == "age"
    assert isinstance(mlflow.sklearn.load_model(str(sklearn_folder)), LinearRegression)


def test_mlflow_loads_a_runstream_python_model(python_folder: Path) -> None:
    loaded = mlflow.pyfunc.load_model(str(python_folder))
    result = loaded.predict(pd.DataFrame({"x": [1.0, 2.0]}))
    assert list(np.asarray(result)) == [11.0, 12.0]


def test_runstream_loads_an_mlflow_sklearn_model(
    tmp_path: Path, regression: LinearRegression, diabetes: tuple
) -> None:
    X = diabetes[0]
    folder = tmp_path / "mlflow-sk"
    # MLflow 3 saves scikit-learn models with skops by default.
    mlflow.sklearn.save_model(regression, str(folder), input_example=X.head(2))
    model = load_model(folder)
    np.testing.assert_allclose(model.predict(X.head(3)), regression.predict(X.head(3)))
    with pytest.raises(InvalidInputError, match="column 's6' is required"):
        model.predict(X.drop(columns=["s6"]).head(1))
    assert model.input_example().shape == (2, 10)


class Shout(mlflow.pyfunc.PythonModel):
    # No type hints: MLflow would read them as the model's signature.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return [text.upper() for text in model_input["text"]]


def test_runstream_loads_an_mlflow_python_model(tmp_path: Path) -> None:
    folder = tmp_path / "mlflow-py"
    example = pd.DataFrame({"text": ["a", "b"]})
    mlflow.pyfunc.save_model(str(folder), python_model=Shout(), input_example=example)
    model = load_model(folder)
    assert list(model.predict(pd.DataFrame({"text": ["hi"]}))) == ["HI"]
    with pytest.raises(InvalidInputError, match="column 'text'"):
        model.predict(pd.DataFrame({"words": ["hi"]}))
