"""Replay: a rebuilt state answers every query as the live projections do."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import runstream
from runstream.api import create_app
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.replay import Replay
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import StateCatalog
from runstream.errors import InvalidInputError
from runstream.events import now_ms


@pytest.fixture
def catalog(
    service: ProjectionService, store: ClickHouseStore
) -> Iterator[StateCatalog]:
    yield StateCatalog(service.store, service.blobs)
    drop_states(store)


@pytest.fixture
def client(service: ProjectionService) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as test_client:
        yield test_client


def test_a_replay_answers_every_query_as_the_live_projections_do(
    service: ProjectionService,
    catalog: StateCatalog,
    client: TestClient,
    tmp_path: Path,
) -> None:
    log_history(tmp_path)
    service.catch_up()

    progress = Replay(service, catalog, into="copy").run()

    assert progress.phase == "done"
    assert progress.events_applied == progress.records_total > 0
    assert progress.points_applied == 3 * 300 + 2 + 1
    assert catalog.names() == ["copy"]
    assert answers(client, state="copy") == answers(client)


def test_a_full_replay_is_swapped_in_while_readers_read(
    service: ProjectionService,
    catalog: StateCatalog,
    client: TestClient,
    tmp_path: Path,
) -> None:
    log_history(tmp_path)
    service.start()
    _wait_caught_up(client)
    before = answers(client)

    failures: list[str] = []
    done = threading.Event()

    def read_all_the_time() -> None:
        while not done.is_set():
            response = client.get("/api/v1/runs")
            if response.status_code != 200 or len(response.json()["runs"]) != 2:
                failures.append(response.text)

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    try:
        progress = Replay(service, catalog).run()
    finally:
        done.set()
        reader.join()

    assert progress.phase == "done"
    assert failures == []
    assert catalog.names() == []  # the replaced tables were dropped
    assert answers(client) == before
    # The live consumer goes on, into the swapped-in tables and blob prefix.
    with runstream.start_run(run_name="after") as after:
        runstream.log_metric("after", 1.0)
        notes = tmp_path / "after.txt"
        notes.write_text("after the swap\n")
        runstream.log_artifact(notes)
    runstream.flush()
    _wait_caught_up(client)
    run = client.get(f"/api/v1/runs/{after.info.run_id}").json()
    assert run["metrics"] == {"after": 1.0}
    path = f"/api/v1/runs/{after.info.run_id}/artifacts/after.txt"
    assert client.get(path).text == "after the swap\n"
    prefix = catalog.open().info()["blob_prefix"]
    assert prefix.startswith("_states/replay")
    assert (tmp_path / "artifacts" / prefix / after.info.run_id).is_dir()


def test_points_logged_during_the_swap_are_neither_lost_nor_doubled(
    service: ProjectionService,
    catalog: StateCatalog,
    client: TestClient,
    tmp_path: Path,
) -> None:
    log_history(tmp_path)
    service.start()
    during = runstream.start_run(run_name="during")
    done = threading.Event()
    logged = []

    def log_all_the_time() -> None:
        while not done.is_set():
            step = len(logged)
            runstream.log_metric(
                "during", float(step), step=step, run_id=during.info.run_id
            )
            logged.append(step)
            if step % 20 == 0:
                runstream.flush()
                time.sleep(0.01)

    writer = threading.Thread(target=log_all_the_time)
    writer.start()
    try:
        Replay(service, catalog).run()
    finally:
        done.set()
        writer.join()
    runstream.end_run()
    runstream.flush()
    _wait_caught_up(client)

    series = client.get(
        f"/api/v1/runs/{during.info.run_id}/metrics/during",
        params={"max_points": 100_000},
    ).json()
    assert not series["downsampled"]
    assert series["x"] == logged
    # And the live tables, swapped mid-stream, equal a replay of the whole log.
    Replay(service, catalog, into="check").run()
    assert answers(client, state="check") == answers(client)


def test_until_a_time_builds_the_past_beside_the_present(
    service: ProjectionService,
    catalog: StateCatalog,
    client: TestClient,
    tmp_path: Path,
) -> None:
    history = log_history(tmp_path)
    first, second = history["runs"]
    service.catch_up()

    Replay(service, catalog, into="past", until=str(history["between_ms"])).run()

    past = client.get("/api/v1/runs", params={"state": "past"}).json()["runs"]
    assert [run["run_id"] for run in past] == [first]
    assert past[0]["status"] == "RUNNING"
    notes = f"/api/v1/runs/{first}/artifacts/docs/notes.txt"
    assert client.get(notes, params={"state": "past"}).text == "first version\n"
    assert client.get(notes).text == "second version\n"
    assert len(client.get("/api/v1/runs").json()["runs"]) == 2


def test_until_a_position_stops_its_partition_there(
    service: ProjectionService,
    catalog: StateCatalog,
    client: TestClient,
    tmp_path: Path,
) -> None:
    first, _ = log_history(tmp_path)["runs"]
    service.catch_up()
    events = client.get(f"/api/v1/runs/{first}/events").json()["events"]
    # The last event before the tag was deleted: the SDK's own tags and ours.
    deleted = next(i for i, e in enumerate(events) if e["event_type"] == "TagDeleted")
    tags_set = events[deleted - 1]
    assert tags_set["event_type"] == "TagsSet"
    position = f"{tags_set['partition']}:{tags_set['offset']}"

    Replay(service, catalog, into="tagged", until=position).run()

    run = client.get(f"/api/v1/runs/{first}", params={"state": "tagged"}).json()
    assert {"team": "vision", "scratch": "x"}.items() <= run["tags"].items()
    assert run["params"] == {"lr": "0.1", "optimizer": "adam"}
    assert run["metrics"] == {}
    history = client.get(f"/api/v1/runs/{first}/events", params={"state": "tagged"})
    assert history.json()["events"][-1] == tags_set


@pytest.mark.parametrize(
    ("into", "until", "message"),
    [
        (None, "2026-01-01", "needs a name"),
        ("live", None, "is refused"),
        ("Bad-Name", None, "is refused"),
        ("later", "yesterday", "neither a position nor a time"),
        ("later", "0:999999", "no record at runstream.tracking:0:999999"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_built(
    service: ProjectionService,
    catalog: StateCatalog,
    into: str | None,
    until: str | None,
    message: str,
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Replay(service, catalog, into=into, until=until)
    assert catalog.names() == []


def test_a_taken_name_is_refused_unless_replaced(
    service: ProjectionService, catalog: StateCatalog, tmp_path: Path
) -> None:
    log_history(tmp_path)
    service.catch_up()
    Replay(service, catalog, into="twice").run()

    with pytest.raises(InvalidInputError, match="exists already"):
        Replay(service, catalog, into="twice").run()
    assert catalog.names() == ["twice"]
    assert Replay(service, catalog, into="twice", replace=True).run().phase == "done"


def _wait_caught_up(client: TestClient, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        health = client.get("/api/v1/health").json()
        if health["total_lag"] == 0:
            return
        time.sleep(0.05)
    raise AssertionError("the live consumer did not catch up")


def log_history(tmp_path: Path) -> dict[str, Any]:
    """Two experiments; a finished run with params, a deleted tag, per-rank and
    non-finite metrics, an artifact logged twice and one too large to travel in its
    event; a failed run. Returns the ids and the moment between the two versions
    of the artifact."""
    notes = tmp_path / "notes.txt"
    runstream.set_experiment("replay-a")
    with runstream.start_run(run_name="first") as first:
        runstream.log_params({"lr": 0.1, "optimizer": "adam"})
        runstream.set_tags({"team": "vision", "scratch": "x"})
        runstream.delete_tag("scratch")
        for step in range(300):
            runstream.log_metrics(
                {
                    "loss": 1 / (step + 1),
                    "rank0/loss": 2 / (step + 1),
                    "rank1/loss": 3 / (step + 1),
                },
                step=step,
            )
        runstream.log_metric("odd", math.nan, step=0)
        runstream.log_metric("odd", math.inf, step=1)
        notes.write_text("first version\n")
        runstream.log_artifact(notes, artifact_path="docs")
        runstream.flush()
        time.sleep(0.05)
        between = now_ms()
        time.sleep(0.05)
        notes.write_text("second version\n")
        runstream.log_artifact(notes, artifact_path="docs")
        big = tmp_path / "big.bin"
        big.write_bytes(b"\x01" * (4 * 1024 * 1024 + 1))
        runstream.log_artifact(big)
    runstream.set_experiment("replay-b")
    with runstream.start_run(run_name="second") as second:
        runstream.log_param("lr", 0.2)
        runstream.log_metric("loss", 0.5)
        runstream.end_run("FAILED")
    runstream.set_experiment(experiment_id="0")
    runstream.flush()
    return {
        "runs": [first.info.run_id, second.info.run_id],
        "between_ms": between,
    }


def answers(client: TestClient, state: str | None = None) -> dict[str, Any]:
    """Every answer the read API gives about the projections, by request."""
    params = {"state": state} if state else {}

    def get(path: str, **extra: Any) -> Any:
        response = client.get(f"/api/v1{path}", params={**params, **extra})
        assert response.status_code == 200, (path, response.text)
        if "json" in response.headers["content-type"]:
            return response.json()
        return response.content

    found: dict[str, Any] = {"experiments": get("/experiments")}
    runs = get("/runs")["runs"]
    found["runs"] = runs
    run_ids = [run["run_id"] for run in runs]
    keys = sorted({key for run in runs for key in run["metrics"]})
    found["series"] = get("/metrics", run_id=run_ids, key=keys, max_points=50)
    for run in runs:
        rid = run["run_id"]
        found[f"run {rid}"] = get(f"/runs/{rid}")
        found[f"events {rid}"] = get(f"/runs/{rid}/events")
        found[f"export {rid}"] = get(f"/runs/{rid}/export/metrics")
        for key in run["metrics"]:
            for axis in ("step", "timestamp"):
                found[f"metric {rid} {key} {axis}"] = get(
                    f"/runs/{rid}/metrics/{key}", x_axis=axis, max_points=100
                )
        files = get(f"/runs/{rid}/artifacts")
        found[f"artifacts {rid}"] = files
        for file in files["files"]:
            found[f"artifact {rid} {file['path']}"] = get(
                f"/runs/{rid}/artifacts/{file['path']}"
            )
    return found


def drop_states(store: ClickHouseStore) -> None:
    rows = store.query(
        "SELECT name FROM system.databases WHERE startsWith(name, {p:String})",
        {"p": store.database + "__"},
    )
    for row in rows:
        store.command(f"DROP DATABASE IF EXISTS {row['name']}")
