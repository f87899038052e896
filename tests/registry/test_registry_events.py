"""Registry events on the log: their topic and key, through the SDK's sender too."""

from __future__ import annotations

from pathlib import Path

from runstream.events import REGISTRY_TOPIC, TRACKING_TOPIC, decode
from runstream.log import SqliteEventLog
from runstream.registry.writer import LogWriter
from runstream.sender import Sender


def read_all(log: SqliteEventLog, topic: str) -> list:
    found = []
    for partition in range(log.default_partitions):
        found.extend(log.read(topic, partition, 0, 1000))
    return found


def test_registry_events_go_to_the_registry_topic_keyed_by_first_name(
    tmp_path: Path,
) -> None:
    log = SqliteEventLog(tmp_path / "log.sqlite")
    writer = LogWriter(lambda: log)
    payload = {"registered_name": "first", "name": "renamed", "user": "u"}
    [position] = writer.append([("AliasDeleted", {**payload, "alias": "a"})])
    [record] = read_all(log, REGISTRY_TOPIC)
    assert record.position == position and record.key == "first"
    assert decode(record.value).payload["name"] == "renamed"


def test_the_sender_carries_registry_events_and_seals_the_runs_points_first(
    tmp_path: Path,
) -> None:
    # Registry events have no run_id, so they seal nothing; a version created
    # from a run names it, which puts the run's metric points on the log first.
    log = SqliteEventLog(tmp_path / "log.sqlite")
    sender = Sender(lambda: log, flush_interval_s=60)
    sender.add_point("run-1", "loss", 0.5, 0, 1)
    base = {"registered_name": "m", "name": "m", "user": "u"}
    sender.submit("RegisteredModelCreated", {**base, "description": None, "tags": {}})
    sender.add_point("run-1", "loss", 0.4, 1, 2)
    sender.submit(
        "ModelVersionCreated",
        {
            **base,
            "source": "runs:/run-1/model",
            "run_id": "run-1",
            "description": None,
            "tags": {},
        },
    )
    assert sender.flush(timeout_s=30)

    registry = [decode(r.value) for r in read_all(log, REGISTRY_TOPIC)]
    assert [e.event_type for e in registry] == [
        "RegisteredModelCreated",
        "ModelVersionCreated",
    ]
    metrics = [decode(r.value) for r in read_all(log, TRACKING_TOPIC)]
    assert [list(e.payload["steps"]) for e in metrics] == [[0, 1]]
    version_seq = registry[1].sequence
    assert metrics[0].sequence < version_seq
    sender.close()
