"""Model folders: what save_model writes and load_model reads back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LinearRegression

from runstream.errors import InvalidInputError, NotFoundError
from runstream.models import ModelDescriptor, load_model, save_model


def test_sklearn_folder_has_descriptor_environment_and_example(
    sklearn_folder: Path,
) -> None:
    files = {p.name for p in sklearn_folder.iterdir()}
    assert files == {
        "MLmodel",
        "model.pkl",
        "requirements.txt",
        "python_env.yaml",
        "conda.yaml",
        "input_example.json",
        "serving_input_example.json",
    }
    mlmodel = yaml.safe_load((sklearn_folder / "MLmodel").read_text())
    assert set(mlmodel["flavors"]) == {"python_function", "sklearn"}
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"
    inputs = json.loads(mlmodel["signature"]["inputs"])
    assert inputs[0] == {"type": "double", "name": "age", "required": True}
    assert mlmodel["saved_input_example_info"]["type"] == "dataframe"
    requirements = (sklearn_folder / "requirements.txt").read_text()
    assert "scikit-learn==" in requirements and "cloudpickle==" in requirements
    serving = json.loads((sklearn_folder / "serving_input_example.json").read_text())
    assert serving["dataframe_split"]["columns"][0] == "age"


def test_sklearn_model_loads_and_predicts_the_same(
    sklearn_folder: Path, regression: LinearRegression, diabetes: tuple
) -> None:
    X = diabetes[0]
    model = load_model(sklearn_folder)
    np.testing.assert_allclose(model.predict(X.head(5)), regression.predict(X.head(5)))
    assert isinstance(model.unwrap(), LinearRegression)
    pd.testing.assert_frame_equal(
        model.input_example(), X.head(3).reset_index(drop=True)
    )
    assert model.metadata.signature is not None


def test_python_model_gets_its_artifacts_and_params(python_folder: Path) -> None:
    model = load_model(python_folder)
    frame = pd.DataFrame({"x": [1.0, 5.0]})
    assert model.predict(frame).tolist() == [11.0, 15.0]
    assert model.predict(frame, params={"scale": 2}).tolist() == [22.0, 30.0]
    assert (python_folder / "artifacts" / "offset").is_file()
    conf = ModelDescriptor.load(python_folder).pyfunc
    assert conf["loader_module"] == "runstream.models.python_model"
    assert "runstream" in (python_folder / "requirements.txt").read_text()


def test_input_outside_the_signature_is_refused_by_column(sklearn_folder: Path) -> None:
    model = load_model(sklearn_folder)
    with pytest.raises(InvalidInputError, match="column 'sex' is required"):
        model.predict(pd.DataFrame({"age": [0.1]}))


def test_refusals_say_what_to_do(tmp_path: Path, regression: LinearRegression) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(InvalidInputError, match="not empty"):
        save_model(regression, tmp_path / "full")
    with pytest.raises(InvalidInputError, match="PythonModel"):
        save_model(object(), tmp_path / "obj")
    with pytest.raises(NotFoundError, match="no MLmodel"):
        load_model(tmp_path / "full")
    with pytest.raises(InvalidInputError, match="runs:/"):
        load_model("s3://bucket/model")


def test_descriptor_keeps_keys_it_does_not_know(sklearn_folder: Path) -> None:
    path = sklearn_folder / "MLmodel"
    raw = yaml.safe_load(path.read_text())
    raw["mlflow_version"] = "3.17.2"
    raw["prompts"] = None
    path.write_text(yaml.safe_dump(raw))
    again = ModelDescriptor.load(sklearn_folder).to_dict()
    assert again["mlflow_version"] == "3.17.2" and "prompts" in again
