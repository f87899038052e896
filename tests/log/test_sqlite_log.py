import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from runstream.log import Position, Record, SqliteEventLog, sqlite

TOPIC = "runstream.tracking"


def _writer(path: str, writer: int, count: int) -> None:
    log = SqliteEventLog(Path(path), partitions=4)
    for i in range(0, count, 50):
        log.append(
            [
                Record(TOPIC, f"run-{j % 7}", f"{writer}:{j}".encode())
                for j in range(i, min(i + 50, count))
            ]
        )


def test_offsets_are_dense_per_partition_and_keys_stay_together(tmp_path: Path) -> None:
    log = SqliteEventLog(tmp_path / "log.sqlite", partitions=4)
    positions = log.append([Record(TOPIC, f"k{i % 3}", b"v") for i in range(30)])
    by_key: dict[str, set[int]] = {}
    for i, pos in enumerate(positions):
        by_key.setdefault(f"k{i % 3}", set()).add(pos.partition)
    assert all(len(parts) == 1 for parts in by_key.values())
    ends = log.end_offsets(TOPIC)
    assert sum(ends.values()) == 30
    for partition, end in ends.items():
        offsets = [p.offset for p in positions if p.partition == partition]
        assert sorted(offsets) == list(range(end))


def test_several_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    SqliteEventLog(path, partitions=4)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 400)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    log = SqliteEventLog(path)
    consumer = log.consumer("g", [TOPIC])
    seen = []
    while batch := consumer.poll(500, 0.1):
        seen.extend(r.value for r in batch)
    assert len(seen) == 1600
    assert len(set(seen)) == 1600


def test_consumer_resumes_from_commit(tmp_path: Path) -> None:
    log = SqliteEventLog(tmp_path / "log.sqlite", partitions=2)
    log.append([Record(TOPIC, f"k{i}", str(i).encode()) for i in range(10)])
    first = log.consumer("g", [TOPIC])
    batch = first.poll(100, 0.1)
    assert len(batch) == 10
    assert sum(first.lag().values()) == 10
    first.commit([batch[0].position])
    again = log.consumer("g", [TOPIC]).poll(100, 0.1)
    assert len(again) == 9
    first.commit([r.position for r in batch])
    assert sum(first.lag().values()) == 0
    assert log.consumer("g", [TOPIC]).poll(100, 0.01) == []


def test_commit_never_moves_backwards(tmp_path: Path) -> None:
    log = SqliteEventLog(tmp_path / "log.sqlite", partitions=1)
    log.append([Record(TOPIC, "k", b"x") for _ in range(5)])
    log.commit("g", [Position(TOPIC, 0, 3)])
    log.commit("g", [Position(TOPIC, 0, 1)])
    assert log.committed("g", TOPIC) == {0: 4}


def test_a_poll_stops_at_its_byte_budget_and_the_next_one_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "MAX_POLL_BYTES", 2_500)
    log = SqliteEventLog(tmp_path / "log.sqlite", partitions=2)
    log.append([Record(TOPIC, f"k{i}", bytes(1_000)) for i in range(10)])
    consumer = log.consumer("g", [TOPIC])
    sizes = []
    while batch := consumer.poll(100, 0.01):
        sizes.append(len(batch))
    # Each poll ends with the record that passes the budget: three of 1,000 bytes.
    assert sizes[0] == 3 and sum(sizes) == 10


def test_a_record_larger_than_the_budget_still_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "MAX_POLL_BYTES", 10)
    log = SqliteEventLog(tmp_path / "log.sqlite", partitions=1)
    log.append([Record(TOPIC, "k", bytes(100)), Record(TOPIC, "k", bytes(100))])
    consumer = log.consumer("g", [TOPIC])
    assert len(consumer.poll(100, 0.01)) == 1
    assert len(consumer.poll(100, 0.01)) == 1


def test_a_log_in_the_earlier_layout_is_moved_without_losing_a_record(
    tmp_path: Path,
) -> None:
    """Logs written before records became a rowid table (WITHOUT ROWID made each
    seek read whole frames) are moved over on open, records and commits kept."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE records (topic TEXT NOT NULL, partition INTEGER NOT NULL, "
        "offset INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
        "appended_at INTEGER NOT NULL, PRIMARY KEY (topic, partition, offset)) "
        "WITHOUT ROWID;"
    )
    conn.executemany(
        "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)",
        [("t", 0, offset, "k", b"v%d" % offset, 1) for offset in range(3)],
    )
    conn.commit()
    conn.close()

    log = SqliteEventLog(path, partitions=1)
    assert [r.value for r in log.read("t", 0, 0, 10)] == [b"v0", b"v1", b"v2"]
    assert log.end_offsets("t") == {0: 3}
    assert log.append([Record("t", "k", b"v3")]) == [Position("t", 0, 3)]
    (layout,) = (
        sqlite3.connect(path)
        .execute("SELECT sql FROM sqlite_master WHERE name = 'records'")
        .fetchone()
    )
    assert "WITHOUT ROWID" not in layout.upper()
    # Opening it again leaves it as it is.
    assert SqliteEventLog(path, partitions=1).end_offsets("t") == {0: 4}
