"""The real mlflow client against an API with tokens on: MLFLOW_TRACKING_TOKEN (or
basic auth with the token as password) gets in, no token fails clearly."""

from __future__ import annotations

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

READER = "reader-token-0123456789"
WRITER = "writer-token-0123456789"


@pytest.fixture
def secured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens for the API that ``tracking_uri`` starts after this fixture."""
    monkeypatch.setenv(
        "RUNSTREAM_AUTH_TOKENS", f"read:viewer:{READER},write:ci:{WRITER}"
    )
    for variable in (
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
    ):
        monkeypatch.delenv(variable, raising=False)


def test_token_lets_the_client_log_and_read(
    secured: None, tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", WRITER)
    mlflow.set_experiment("secured")
    with mlflow.start_run() as run:
        mlflow.log_param("lr", "0.1")
        mlflow.log_metric("loss", 0.5, step=1)
        mlflow.log_text("hello", "notes/readme.txt")

    client = MlflowClient(tracking_uri)
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"lr": "0.1"}
    assert got.data.metrics == {"loss": 0.5}
    files = client.list_artifacts(run.info.run_id, "notes")
    assert [f.path for f in files] == ["notes/readme.txt"]
    text = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/readme.txt")
    assert text == "hello"


def test_no_token_fails_clearly(secured: None, tracking_uri: str) -> None:
    with pytest.raises(MlflowException) as raised:
        MlflowClient(tracking_uri).search_experiments()
    assert raised.value.error_code == "UNAUTHENTICATED"
    assert "MLFLOW_TRACKING_TOKEN" in raised.value.message


def test_read_token_cannot_write(
    secured: None, tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", READER)
    client = MlflowClient(tracking_uri)
    assert client.search_experiments() is not None
    with pytest.raises(MlflowException) as raised:
        client.create_experiment("not-allowed")
    assert raised.value.error_code == "PERMISSION_DENIED"
    assert "needs the write role" in raised.value.message
    assert READER not in raised.value.message


def test_basic_auth_with_the_token_as_password(
    secured: None, tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ci")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", WRITER)
    experiment_id = MlflowClient(tracking_uri).create_experiment("basic-auth")
    assert MlflowClient(tracking_uri).get_experiment(experiment_id).name == "basic-auth"

    # The artifact proxy checks the same way.
    proxy = f"{tracking_uri}/api/2.0/mlflow-artifacts/artifacts/loose.txt"
    assert httpx.put(proxy, content=b"x").status_code == 401
    put = httpx.put(proxy, content=b"x", auth=("ci", WRITER))
    assert put.status_code == 200


def test_registry_history_names_the_token_not_the_claimed_user(
    secured: None, tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With tokens on, who changed the registry is the name the server gave the
    # token; the basic-auth user name is the client's word and is not kept.
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "mallory")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", WRITER)
    client = MlflowClient(tracking_uri)
    client.create_registered_model("audited")
    version = client.create_model_version("audited", "s3://models/audited/1")
    assert version.user_id == "ci"
    assert client.get_model_version("audited", version.version).user_id == "ci"
