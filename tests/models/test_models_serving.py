"""The scoring server and ``runstream models predict``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.linear_model import LinearRegression
from typer.testing import CliRunner

import runstream
from runstream.cli import app as cli
from runstream.models import load_model, save_model
from runstream.models.serving import create_scoring_app


@pytest.fixture
def scoring(sklearn_folder: Path) -> TestClient:
    return TestClient(create_scoring_app(load_model(sklearn_folder)))


def test_ping_and_version(scoring: TestClient) -> None:
    assert scoring.get("/ping").status_code == 200
    assert scoring.get("/health").status_code == 200
    assert scoring.get("/version").text == runstream.__version__


def test_every_input_format_gives_the_same_predictions(
    scoring: TestClient, regression: LinearRegression, diabetes: tuple
) -> None:
    X = diabetes[0].head(3)
    expected = regression.predict(X)
    split = json.loads(X.to_json(orient="split", index=False))
    records = json.loads(X.to_json(orient="records"))
    bodies = [
        {"dataframe_split": split},
        {"dataframe_records": records},
        {"instances": records},
        {"inputs": {c: X[c].tolist() for c in X.columns}},
    ]
    for body in bodies:
        answer = scoring.post("/invocations", json=body)
        assert answer.status_code == 200, answer.text
        np.testing.assert_allclose(answer.json()["predictions"], expected)
    csv = scoring.post(
        "/invocations",
        content=X.to_csv(index=False),
        headers={"content-type": "text/csv"},
    )
    np.testing.assert_allclose(csv.json()["predictions"], expected)


def test_input_outside_the_signature_gets_400_naming_the_column(
    scoring: TestClient, diabetes: tuple
) -> None:
    records = json.loads(diabetes[0].head(1).to_json(orient="records"))
    records[0]["bmi"] = "heavy"
    answer = scoring.post("/invocations", json={"dataframe_records": records})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "BAD_REQUEST"
    assert "column 'bmi' must be double" in answer.json()["message"]

    del records[0]["bmi"]
    answer = scoring.post("/invocations", json={"dataframe_records": records})
    assert "column 'bmi' is required" in answer.json()["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dataframe_split": {"data": [[1]]}, "inputs": [1]}, "exactly one of"),
        ({"rows": []}, "exactly one of"),
        ({"dataframe_records": "x"}, "list of objects"),
    ],
)
def test_malformed_bodies_get_400(
    scoring: TestClient, body: dict, message: str
) -> None:
    answer = scoring.post("/invocations", json=body)
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_other_content_types_get_415(scoring: TestClient) -> None:
    answer = scoring.post(
        "/invocations", content=b"x", headers={"content-type": "text/plain"}
    )
    assert answer.status_code == 415


def test_tensor_models_take_instances(tmp_path: Path) -> None:
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]])
    folder = tmp_path / "tensor"
    save_model(LinearRegression().fit(X, X.sum(axis=1)), folder, input_example=X[:1])
    client = TestClient(create_scoring_app(load_model(folder)))
    answer = client.post("/invocations", json={"instances": [[1.0, 1.0]]})
    assert answer.json()["predictions"] == pytest.approx([2.0])
    answer = client.post("/invocations", json={"inputs": [[1.0, 1.0, 1.0]]})
    assert answer.status_code == 400 and "shape (1, 3)" in answer.json()["message"]


@pytest.fixture
def two_columns(tmp_path: Path) -> TestClient:
    """A model whose signature names two double columns, a and b."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 1.0, 3.0]})
    folder = tmp_path / "columns"
    save_model(LinearRegression().fit(X, X.sum(axis=1)), folder, input_example=X)
    return TestClient(create_scoring_app(load_model(folder)))


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": [[1.0, 1.0]]},
        {"instances": [[1, 1]]},
        {"inputs": [[1, 1.0]]},
        {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1.0]]}},
    ],
)
def test_row_arrays_fill_the_signatures_columns(
    two_columns: TestClient, body: dict
) -> None:
    answer = two_columns.post("/invocations", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == pytest.approx([2.0])


def test_a_refused_row_array_names_the_value_that_does_not_fit(
    two_columns: TestClient,
) -> None:
    answer = two_columns.post("/invocations", json={"inputs": [[1.0, 2.0], [1.0, "x"]]})
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert "column 'b' must be double, but row 1 holds 'x' (str)" in message


def test_predict_command_scores_json_and_csv_files(
    sklearn_folder: Path, tmp_path: Path, diabetes: tuple
) -> None:
    X = diabetes[0].head(2)
    expected = load_model(sklearn_folder).predict(X)
    runner = CliRunner()

    body = tmp_path / "in.json"
    body.write_text(
        json.dumps({"dataframe_split": json.loads(X.to_json(orient="split"))})
    )
    out = tmp_path / "out.json"
    result = runner.invoke(
        cli,
        [
            "models",
            "predict",
            "-m",
            str(sklearn_folder),
            "-i",
            str(body),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(json.loads(out.read_text())["predictions"], expected)

    table = tmp_path / "in.csv"
    X.to_csv(table, index=False)
    result = runner.invoke(
        cli,
        ["models", "predict", "-m", str(sklearn_folder), "-i", str(table), "-t", "csv"],
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(json.loads(result.stdout)["predictions"], expected)

    pd.DataFrame({"age": [1]}).to_csv(table, index=False)
    result = runner.invoke(
        cli,
        ["models", "predict", "-m", str(sklearn_folder), "-i", str(table), "-t", "csv"],
    )
    assert result.exit_code == 1 and "column 'sex' is required" in result.output


def test_input_the_model_refuses_gets_400_and_its_failures_500(
    two_columns: TestClient, tmp_path: Path
) -> None:
    # The signature takes NaN as a double; scikit-learn's predict does not.
    answer = two_columns.post(
        "/invocations",
        content=b'{"inputs": [[NaN, 1.0]]}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert message.startswith("the model refused the input: ValueError")
    assert "NaN" in message

    class Broken(runstream.models.PythonModel):
        def predict(self, context: object, model_input: object) -> object:
            raise RuntimeError("weights missing")

    folder = tmp_path / "broken"
    save_model(Broken(), folder)
    broken = TestClient(create_scoring_app(load_model(folder)))
    answer = broken.post("/invocations", json={"inputs": [[1.0]]})
    assert answer.status_code == 500
    assert answer.json() == {
        "error_code": "INTERNAL_ERROR",
        "message": "the model failed to predict: RuntimeError: weights missing",
    }


def test_predict_command_says_what_the_model_refused(
    sklearn_folder: Path, tmp_path: Path, diabetes: tuple
) -> None:
    X = diabetes[0].head(2).copy()
    X.iloc[0, 0] = float("nan")
    table = tmp_path / "rows.csv"
    X.to_csv(table, index=False)
    runner = CliRunner()
    args = ["models", "predict", "-m", str(sklearn_folder), "-i", str(table)]

    refused = runner.invoke(cli, [*args, "-t", "csv"])
    assert refused.exit_code == 1
    assert "the model refused the input: ValueError" in refused.output
    assert "Traceback" not in refused.output
    not_json = runner.invoke(cli, args)
    assert not_json.exit_code == 1
    assert "is not valid JSON" in not_json.output
    assert "for CSV pass -t csv" in not_json.output
