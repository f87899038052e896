"""The dashboard's API client against a live query API."""

from __future__ import annotations

import hashlib

import pytest

from runstream.dashboard.client import ApiClient, ApiRequestError, ApiUnavailableError
from runstream.tracking import RunInfo


def test_reads_runs_metrics_and_artifacts(api_url: str, finished_run: RunInfo) -> None:
    client = ApiClient(api_url)
    run_id = finished_run.run_id

    [run] = client.runs(finished_run.experiment_id)
    assert run["run_id"] == run_id
    assert client.run(run_id)["params"] == {"alpha": "0.5", "optimizer": "adam"}

    series = client.metric(run_id, "rank0/loss", max_points=1000)
    assert series["key"] == "rank0/loss"
    assert series["x"] == [0, 1, 2, 3, 4]
    assert series["y"][2] == "NaN"

    [file] = client.artifacts(run_id)
    data = client.artifact_bytes(run_id, file["path"])
    assert data == b"hello from the run\n"
    assert hashlib.sha256(data).hexdigest() == file["sha256"]
    assert client.artifact_url(run_id, "docs/notes.txt") == (
        f"{api_url}/api/v1/runs/{run_id}/artifacts/docs/notes.txt"
    )


def test_an_error_status_carries_the_apis_detail(
    api_url: str, finished_run: RunInfo
) -> None:
    client = ApiClient(api_url)

    with pytest.raises(ApiRequestError) as raised:
        client.metric(finished_run.run_id, "no/such/key", max_points=10)

    assert raised.value.status_code == 404
    assert "has no points for metric 'no/such/key'" in str(raised.value)


def test_an_unreachable_api_says_how_to_fix_it(unreachable_url: str) -> None:
    client = ApiClient(unreachable_url, timeout_s=1)

    with pytest.raises(ApiUnavailableError, match="RUNSTREAM_API_URL"):
        client.experiments()
