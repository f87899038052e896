"""Events that break MLflow's rules go to the dead-letter topic with the reason;
the projections never see them, and the events around them still apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import runstream
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.rules import violation
from runstream.consumers.service import ProjectionService
from runstream.events import DEAD_LETTER_TOPIC, Event, encode
from runstream.log import Record, SqliteEventLog


def metrics(**changes: object) -> dict:
    payload = {
        "run_id": "r1",
        "names": ["loss"],
        "name_index": [0],
        "values": [0.5],
        "steps": [1],
        "timestamps": [10],
        "rank": 0,
    }
    return {**payload, **changes}


@pytest.mark.parametrize(
    ("event_type", "payload", "reason"),
    [
        ("MetricsLogged", metrics(names=["bad!key"]), "may only hold"),
        ("MetricsLogged", metrics(names=["../up"]), "does not leave"),
        ("MetricsLogged", metrics(timestamps=[-5]), "negative"),
        ("MetricsLogged", metrics(name_index=[3]), "out of range"),
        ("MetricsLogged", metrics(steps=[1, 2]), "differ in length"),
        (
            "ParamsLogged",
            {"run_id": "r1", "keys": ["p"], "values": ["x" * 6001]},
            "limit is 6000",
        ),
        (
            "ParamsLogged",
            {
                "run_id": "r1",
                "keys": [f"p{i}" for i in range(101)],
                "values": ["v"] * 101,
            },
            "101 params; the limit is 100",
        ),
        (
            "TagsSet",
            {"run_id": "r1", "keys": ["t"], "values": ["x" * 5001]},
            "limit is 5000",
        ),
        ("TagsSet", {"run_id": "r1", "keys": ["a" * 251], "values": ["v"]}, "250"),
        (
            "RunStatusChanged",
            {"run_id": "r1", "status": "DONE", "end_time": None},
            "DONE",
        ),
        (
            "ExperimentCreated",
            {"experiment_id": "e", "name": "n" * 501, "artifact_location": ""},
            "500",
        ),
        (
            "ExperimentTagSet",
            {"experiment_id": "e", "key": "/abs", "value": "v"},
            "experiment e",
        ),
        (
            "ArtifactLogged",
            {
                "run_id": "r1",
                "path": "a.txt",
                "size": 3,
                "sha256": "0",
                "content": b"abc",
            },
            "sha256",
        ),
    ],
)
def test_each_rule_names_its_reason(
    event_type: str, payload: dict, reason: str
) -> None:
    found = violation(Event(event_type, payload))
    assert found is not None and reason in found and event_type in found


def test_good_events_break_no_rule() -> None:
    assert violation(Event("MetricsLogged", metrics(values=[float("nan")]))) is None


def test_broken_events_are_dead_lettered_and_the_rest_applied(
    log_path: Path, service: ProjectionService, store: ClickHouseStore
) -> None:
    with runstream.start_run() as run:
        runstream.log_param("lr", "0.1")
        runstream.log_metric("good", 1.0)
    rid = run.info.run_id
    log = SqliteEventLog(log_path, partitions=service.settings.partitions)
    bad = [
        Event("MetricsLogged", metrics(run_id=rid, names=["no way!"])),
        # Changing a projected param is refused, as is the second of two conflicting
        # values within one batch; the first of those two applies.
        Event("ParamsLogged", {"run_id": rid, "keys": ["lr"], "values": ["0.2"]}),
        Event("ParamsLogged", {"run_id": rid, "keys": ["new"], "values": ["a"]}),
        Event("ParamsLogged", {"run_id": rid, "keys": ["new"], "values": ["b"]}),
        Event("TagsSet", {"run_id": rid, "keys": ["t"], "values": ["fine"]}),
    ]
    service.catch_up()
    log.append([Record(e.topic, e.key, encode(e)) for e in bad])
    service.catch_up()

    params = store.query(
        f"SELECT key, value FROM {store.table('params')} FINAL "
        "WHERE run_id = {r:String} ORDER BY key",
        {"r": rid},
    )
    assert params == [{"key": "lr", "value": "0.1"}, {"key": "new", "value": "a"}]
    tags = store.query(f"SELECT value FROM {store.table('tags')} FINAL WHERE key = 't'")
    assert tags == [{"value": "fine"}]
    keys = store.query(f"SELECT DISTINCT key FROM {store.table('metrics')}")
    assert keys == [{"key": "good"}]

    letters = [json.loads(r.value) for r in _all(log, DEAD_LETTER_TOPIC)]
    reasons = sorted(letter["reason"] for letter in letters)
    assert len(reasons) == 3
    assert "may only hold" in reasons[0]
    assert any("'0.1'; params are immutable, so '0.2' is refused" in r for r in reasons)
    assert any("'a'; params are immutable, so 'b' is refused" in r for r in reasons)
    assert service.runner.dead_lettered == 3


def _all(log: SqliteEventLog, topic: str) -> list:
    consumer = log.consumer("test-reader", [topic])
    records = consumer.poll(1000, 0.5)
    consumer.close()
    return records


def test_the_sdk_splits_large_param_sets_to_keep_the_batch_rule(
    log_path: Path, service: ProjectionService, store: ClickHouseStore
) -> None:
    with runstream.start_run() as run:
        runstream.log_params({f"p{i}": i for i in range(250)})
    service.catch_up()
    count = store.query(
        f"SELECT count() AS n FROM {store.table('params')} FINAL "
        "WHERE run_id = {r:String}",
        {"r": run.info.run_id},
    )
    assert count == [{"n": 250}]
    assert service.runner.dead_lettered == 0
