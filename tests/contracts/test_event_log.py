"""The event log contract, run against the embedded SQLite log and real Kafka."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runstream.log import EventLog, LogConsumer, LogRecord, Record, open_log

PARTITIONS = 4


@pytest.fixture(params=["sqlite", "kafka"])
def event_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    if request.param == "kafka":
        broker = request.getfixturevalue("kafka_broker")
        log = open_log(f"kafka://{broker.address}", partitions=PARTITIONS)
    else:
        log = open_log(str(tmp_path / "log.sqlite"), partitions=PARTITIONS)
    yield log
    log.close()


@pytest.fixture
def topic() -> str:
    return f"contract.{uuid.uuid4().hex[:10]}"


def drain(consumer: LogConsumer, count: int, timeout_s: float = 30) -> list[LogRecord]:
    """Poll until ``count`` records came (joining a Kafka group takes a moment)."""
    seen: list[LogRecord] = []
    deadline = time.monotonic() + timeout_s
    while len(seen) < count and time.monotonic() < deadline:
        seen.extend(consumer.poll(500, 0.5))
    return seen


def test_a_fresh_topic_has_every_partition_empty(event_log: EventLog, topic: str):
    assert event_log.end_offsets(topic) == dict.fromkeys(range(PARTITIONS), 0)


def test_appends_keep_order_and_keys_keep_their_partition(
    event_log: EventLog, topic: str
):
    records = [Record(topic, f"run-{i % 5}", f"{i}".encode()) for i in range(60)]
    positions = event_log.append(records)

    assert [p.topic for p in positions] == [topic] * 60
    by_key: dict[str, set[int]] = {}
    for record, pos in zip(records, positions, strict=True):
        by_key.setdefault(record.key, set()).add(pos.partition)
    assert all(len(parts) == 1 for parts in by_key.values())
    for partition in range(PARTITIONS):
        offsets = [p.offset for p in positions if p.partition == partition]
        assert offsets == sorted(offsets)
    ends = event_log.end_offsets(topic)
    assert sum(ends.values()) == 60


def test_a_group_reads_everything_and_resumes_after_its_commit(
    event_log: EventLog, topic: str
):
    event_log.append([Record(topic, f"k{i}", str(i).encode()) for i in range(20)])
    first = event_log.consumer("contract-group", [topic])
    batch = drain(first, 20)
    assert sorted(int(r.value) for r in batch) == list(range(20))
    assert first.assignment() == {(topic, p) for p in range(PARTITIONS)}

    done = [r for r in batch if r.position.partition != 0]
    last: dict[int, LogRecord] = {}
    for r in done:
        last[r.position.partition] = r
    first.commit([r.position for r in last.values()])
    behind = sum(1 for r in batch if r.position.partition == 0)
    assert sum(first.lag().values()) == behind
    first.close()

    again = event_log.consumer("contract-group", [topic])
    rest = drain(again, behind)
    assert sorted(r.value for r in rest) == sorted(
        r.value for r in batch if r.position.partition == 0
    )
    again.close()


def test_records_larger_than_a_mebibyte_round_trip(event_log: EventLog, topic: str):
    # Artifacts up to 4 MiB travel inside events.
    big = bytes(range(256)) * (5 * 4096)
    (position,) = event_log.append([Record(topic, "run-big", big)])
    consumer = event_log.consumer("contract-big", [topic])
    (record,) = drain(consumer, 1)
    assert record.position == position
    assert record.key == "run-big"
    assert record.value == big
    consumer.close()
