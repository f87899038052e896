"""Small fitted models and the files they save to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

from runstream.models import PythonModel, PythonModelContext, save_model


class AddOffset(PythonModel):
    """A user model with an artifact: the offset it adds is read from a file."""

    def load_context(self, context: PythonModelContext) -> None:
        self.offset = float(Path(context.artifacts["offset"]).read_text())

    def predict(
        self,
        context: PythonModelContext,
        model_input: Any,
        params: dict[str, Any] | None = None,
    ) -> Any:
        scale = (params or {}).get("scale", 1)
        return (model_input["x"] + self.offset) * scale


@pytest.fixture(scope="session")
def diabetes() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def regression(diabetes: tuple[pd.DataFrame, pd.Series]) -> LinearRegression:
    X, y = diabetes
    return LinearRegression().fit(X, y)


@pytest.fixture
def sklearn_folder(
    tmp_path: Path, regression: LinearRegression, diabetes: tuple
) -> Path:
    folder = tmp_path / "sk"
    save_model(regression, folder, input_example=diabetes[0].head(3))
    return folder


@pytest.fixture
def python_folder(tmp_path: Path) -> Path:
    offset = tmp_path / "offset.txt"
    offset.write_text("10")
    folder = tmp_path / "py"
    example = pd.DataFrame({"x": [1.0, 2.0]})
    save_model(AddOffset(), folder, input_example=example, artifacts={"offset": offset})
    return folder
