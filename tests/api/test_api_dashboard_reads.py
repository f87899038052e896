"""What the dashboard reads beyond single runs: many series at once, filtered and
sorted runs, a run's event history, and the full-resolution export."""

from __future__ import annotations

import io
import math

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

import runstream
from runstream.consumers.service import ProjectionService
from runstream.events import TRACKING_TOPIC, Event, encode
from runstream.log import Record


@pytest.fixture
def two_runs(service: ProjectionService) -> list[str]:
    runstream.set_experiment("reads")
    ids = []
    for i, optimizer in enumerate(("adam", "sgd")):
        with runstream.start_run(run_name=f"run{i}") as run:
            runstream.log_param("optimizer", optimizer)
            for step in range(200):
                runstream.log_metrics(
                    {"loss": (i + 1) / (step + 1), "rank0/acc": step / 200}, step=step
                )
            runstream.log_metric("odd", math.nan)
        ids.append(run.info.run_id)
    runstream.flush()
    service.catch_up()
    return ids


def test_many_series_come_in_one_request(
    client: TestClient, two_runs: list[str]
) -> None:
    answer = client.get(
        "/api/v1/metrics",
        params={"run_id": two_runs, "key": ["loss", "rank0/acc"], "max_points": 50},
    )

    assert answer.status_code == 200, answer.text
    series = answer.json()["series"]
    assert [(s["run_id"], s["key"]) for s in series] == [
        (two_runs[0], "loss"),
        (two_runs[0], "rank0/acc"),
        (two_runs[1], "loss"),
        (two_runs[1], "rank0/acc"),
    ]
    for one in series:
        assert one["total_points"] == 200 and one["downsampled"]
        assert len(one["x"]) == 50 and one["x"][0] == 0 and one["x"][-1] == 199
    single = client.get(
        f"/api/v1/runs/{two_runs[1]}/metrics/loss", params={"max_points": 50}
    ).json()
    assert series[2] == single


def test_runs_are_filtered_and_sorted_mlflow_style(
    client: TestClient, two_runs: list[str]
) -> None:
    def names(**params: str) -> list[str]:
        answer = client.get("/api/v1/runs", params=params)
        assert answer.status_code == 200, answer.text
        return [run["run_name"] for run in answer.json()["runs"]]

    assert names(filter="params.optimizer = 'sgd'") == ["run1"]
    assert names(filter="metrics.loss < 0.006") == ["run0"]
    assert names(order_by="metrics.loss DESC") == ["run1", "run0"]
    assert names(order_by="run_name ASC") == ["run0", "run1"]
    bad = client.get("/api/v1/runs", params={"filter": "metrics.loss <"})
    assert bad.status_code == 400


def test_the_event_history_shows_positions_in_log_order(
    client: TestClient, two_runs: list[str]
) -> None:
    history = client.get(f"/api/v1/runs/{two_runs[0]}/events").json()

    events = history["events"]
    assert history["total"] == len(events)
    assert events[0]["event_type"] == "RunStarted"
    assert events[-1]["event_type"] == "RunStatusChanged"
    assert {e["partition"] for e in events} == {events[0]["partition"]}
    offsets = [e["offset"] for e in events]
    assert offsets == sorted(offsets)
    page = client.get(
        f"/api/v1/runs/{two_runs[0]}/events", params={"limit": 2, "offset": 1}
    ).json()
    assert page["events"] == events[1:3]
    assert client.get("/api/v1/runs/nope/events").status_code == 404


def test_the_export_has_every_point_as_csv_or_parquet(
    client: TestClient, two_runs: list[str]
) -> None:
    csv = client.get(f"/api/v1/runs/{two_runs[0]}/export/metrics")
    assert csv.status_code == 200
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.text.splitlines()
    assert lines[0] == '"key","step","timestamp","value"'
    assert len(lines) == 1 + 200 + 1 + 200

    parquet = client.get(
        f"/api/v1/runs/{two_runs[0]}/export/metrics",
        params={"format": "parquet", "key": ["loss", "odd"]},
    )
    table = pq.read_table(io.BytesIO(parquet.content)).to_pandas()
    assert list(table.columns) == ["key", "step", "timestamp", "value"]
    assert table["key"].astype(str).value_counts().to_dict() == {"loss": 200, "odd": 1}
    assert table["value"].iloc[0] == 1.0
    assert math.isnan(table[table["key"] == "odd"]["value"].iloc[0])

    unknown = client.get(
        f"/api/v1/runs/{two_runs[0]}/export/metrics", params={"key": "nope"}
    )
    assert unknown.status_code == 400


def test_a_key_that_two_ranks_wrote_comes_per_rank_or_merged(
    client: TestClient, service: ProjectionService
) -> None:
    with runstream.start_run() as run:
        runstream.log_metric("loss", 1.0, step=0)
    runstream.flush()
    rid = run.info.run_id
    points = {
        "run_id": rid,
        "names": ["loss"],
        "name_index": [0, 0],
        "values": [2.0, 3.0],
        "steps": [1, 2],
        "timestamps": [1, 2],
        "rank": 1,
    }
    service.log.append(
        [Record(TRACKING_TOPIC, rid, encode(Event("MetricsLogged", points)))]
    )
    service.catch_up()

    def series(per_rank: bool) -> list[tuple[int | None, list[int]]]:
        answer = client.get(
            "/api/v1/metrics",
            params={"run_id": rid, "key": "loss", "per_rank": per_rank},
        ).json()["series"]
        return [(s["rank"], s["x"]) for s in answer]

    assert series(per_rank=False) == [(None, [0, 1, 2])]
    assert series(per_rank=True) == [(0, [0]), (1, [1, 2])]
