"""Errors reach the mlflow client as the ``MlflowException``s its users catch, with
MLflow's error codes and HTTP statuses."""

from __future__ import annotations

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

MISSING_RUN = "0" * 32


def error_code(excinfo: pytest.ExceptionInfo[MlflowException]) -> str:
    return excinfo.value.error_code


def test_unknown_run_and_experiment(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as run:
        client.get_run(MISSING_RUN)
    assert error_code(run) == "RESOURCE_DOES_NOT_EXIST"

    with pytest.raises(MlflowException) as experiment:
        client.get_experiment("123456")
    assert error_code(experiment) == "RESOURCE_DOES_NOT_EXIST"

    with pytest.raises(MlflowException) as logging:
        client.log_metric(MISSING_RUN, "loss", 1.0)
    assert error_code(logging) == "RESOURCE_DOES_NOT_EXIST"


def test_duplicate_experiment(client: MlflowClient) -> None:
    client.create_experiment("twice")
    with pytest.raises(MlflowException) as created:
        client.create_experiment("twice")
    assert error_code(created) == "RESOURCE_ALREADY_EXISTS"

    other = client.create_experiment("other")
    with pytest.raises(MlflowException) as renamed:
        client.rename_experiment(other, "twice")
    assert error_code(renamed) == "RESOURCE_ALREADY_EXISTS"


def test_params_are_immutable(client: MlflowClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")  # the same value again is fine
    with pytest.raises(MlflowException) as changed:
        client.log_param(run_id, "lr", "0.2")
    assert error_code(changed) == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_bad_batches_are_refused_whole(client: MlflowClient) -> None:
    run_id = client.create_run("0").info.run_id
    bad_key = [Metric("fine", 1.0, 0, 0), Metric("bad key!", 1.0, 0, 0)]
    with pytest.raises(MlflowException) as key:
        client.log_batch(run_id, metrics=bad_key)
    assert error_code(key) == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.metrics == {}


def test_logging_to_a_deleted_run(client: MlflowClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.delete_run(run_id)
    with pytest.raises(MlflowException) as logged:
        client.log_metric(run_id, "loss", 1.0)
    assert error_code(logged) == "INVALID_PARAMETER_VALUE"


def test_deleted_experiment_cannot_be_set(client: MlflowClient) -> None:
    experiment_id = client.create_experiment("retired")
    client.delete_experiment(experiment_id)
    with pytest.raises(MlflowException, match="deleted"):
        mlflow.set_experiment("retired")
    with pytest.raises(MlflowException) as started:
        client.create_run(experiment_id)
    assert error_code(started) == "INVALID_PARAMETER_VALUE"


def test_bad_search_filter(client: MlflowClient) -> None:
    with pytest.raises(MlflowException) as searched:
        client.search_runs(["0"], filter_string="metrics.loss >> 1")
    assert error_code(searched) == "INVALID_PARAMETER_VALUE"
    assert "column" in searched.value.message


def test_http_statuses_match_mlflow(tracking_uri: str) -> None:
    api = f"{tracking_uri}/api/2.0/mlflow"
    missing = httpx.get(f"{api}/runs/get", params={"run_id": MISSING_RUN})
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    httpx.post(f"{api}/experiments/create", json={"name": "dup"})
    duplicate = httpx.post(f"{api}/experiments/create", json={"name": "dup"})
    assert duplicate.status_code == 400
    assert duplicate.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"

    malformed = httpx.post(f"{api}/runs/log-metric", json={"run_id": "x"})
    assert malformed.status_code == 400
    assert malformed.json()["error_code"] == "INVALID_PARAMETER_VALUE"

    unserved = httpx.post(f"{api}/no/such/endpoint", json={})
    assert unserved.status_code == 404
    assert unserved.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_server_checks_mlflows_rules(tracking_uri: str) -> None:
    """The same rules hold for any HTTP client, not only for mlflow's."""
    api = f"{tracking_uri}/api/2.0/mlflow"
    run = httpx.post(f"{api}/runs/create", json={"experiment_id": "0"}).json()["run"]
    run_id = run["info"]["run_id"]
    refused = [
        ("runs/log-metric", {"key": "bad key!", "value": 1, "timestamp": 0}),
        ("runs/log-metric", {"key": "../up", "value": 1, "timestamp": 0}),
        ("runs/log-metric", {"key": "neg", "value": 1, "timestamp": -1}),
        ("runs/log-parameter", {"key": "k", "value": "x" * 6001}),
        ("runs/set-tag", {"key": "k" * 251, "value": "x"}),
        # The client splits big batches itself; the server holds the line too.
        (
            "runs/log-batch",
            {"params": [{"key": f"p{i}", "value": "x"} for i in range(101)]},
        ),
    ]
    for endpoint, body in refused:
        answer = httpx.post(f"{api}/{endpoint}", json={"run_id": run_id, **body})
        assert answer.status_code == 400, (endpoint, body)
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"

    nan = {"run_id": run_id, "key": "odd", "value": "NaN", "timestamp": 0}
    assert httpx.post(f"{api}/runs/log-metric", json=nan).status_code == 200


@pytest.mark.parametrize("prefix", ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"])
def test_mlflow3_endpoints_answer_endpoint_not_found(
    tracking_uri: str, prefix: str
) -> None:
    unserved = httpx.post(f"{tracking_uri}{prefix}/traces/search", json={})
    assert unserved.status_code == 404
    assert unserved.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert f"{prefix}/traces/search" in unserved.json()["message"]


def test_search_traces_reports_endpoint_not_found(tracking_uri: str) -> None:
    with pytest.raises(MlflowException) as raised:
        mlflow.search_traces(locations=["0"])
    assert error_code(raised) == "ENDPOINT_NOT_FOUND"
