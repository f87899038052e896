"""The SDK keeps going while the log is down: it spills to disk beyond its memory
bound and delivers everything, in order and once, when the log is back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from runstream.errors import EventLogError, PartialAppendError
from runstream.events import decode
from runstream.log import LogConsumer, Position, Record
from runstream.sender import Sender
from runstream.spill import SpillFolder


class FlakyLog:
    """An event log that refuses appends while ``up`` is clear."""

    def __init__(self) -> None:
        self.up = threading.Event()
        self.records: list[Record] = []
        self.fail_half_once = False

    def append(self, records: Sequence[Record]) -> list[Position]:
        if not self.up.is_set():
            raise EventLogError("the test log is down")
        if self.fail_half_once:
            self.fail_half_once = False
            half = len(records) // 2
            self.records.extend(records[:half])
            appended = [Position(r.topic, 0, 0) for r in records[:half]]
            raise PartialAppendError("half went through", appended + [None] * half)
        self.records.extend(records)
        return [Position(r.topic, 0, i) for i, r in enumerate(records)]

    def consumer(self, group_id: str, topics: Sequence[str]) -> LogConsumer:
        raise NotImplementedError

    def end_offsets(self, topic: str) -> dict[int, int]:
        return {}

    def close(self) -> None:
        pass


def points_by_run(log: FlakyLog) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for record in log.records:
        event = decode(record.value)
        if event.event_type == "MetricsLogged":
            found.setdefault(record.key, []).extend(event.payload["values"])
    return found


def test_logging_goes_on_while_the_log_is_down_and_nothing_is_lost(tmp_path: Path):
    log = FlakyLog()
    sender = Sender(
        lambda: log, flush_interval_s=0.01, max_buffer_points=2000, spill_dir=tmp_path
    )
    started = time.monotonic()
    for i in range(20_000):
        sender.add_point("run-a", "loss", float(i), i, 0)
    # Ten times the memory bound went by without the log: it went to disk.
    assert time.monotonic() - started < 10
    assert not sender.flush(timeout_s=0.5)
    assert list((tmp_path / sender.producer_id).glob("*.batch"))

    log.up.set()
    assert sender.flush(timeout_s=30)
    assert points_by_run(log) == {"run-a": [float(i) for i in range(20_000)]}
    sender.close()
    assert not (tmp_path / sender.producer_id).exists()


def test_a_partly_appended_batch_is_finished_without_duplicates(tmp_path: Path):
    log = FlakyLog()
    log.up.set()
    log.fail_half_once = True
    sender = Sender(lambda: log, flush_interval_s=0.01, spill_dir=tmp_path)
    for run in ("run-a", "run-b"):
        sender.submit("TagsSet", {"run_id": run, "keys": ["k"], "values": ["v"]})
    assert sender.flush(timeout_s=30)
    assert [r.key for r in log.records] == ["run-a", "run-b"]
    sender.close()


def test_batches_left_by_an_ended_process_are_delivered_by_the_next(tmp_path: Path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    orphan = SpillFolder(tmp_path, "ended-producer")
    orphan.write(0, [Record("runstream.tracking", "run-x", b"first")], 1, 0)
    orphan.write(1, [Record("runstream.tracking", "run-x", b"second")], 1, 0)
    (orphan.folder / "owner").write_text(f"{os.uname().nodename} {dead.stdout}")

    log = FlakyLog()
    log.up.set()
    sender = Sender(lambda: log, flush_interval_s=0.01, spill_dir=tmp_path)
    sender.submit("TagsSet", {"run_id": "run-x", "keys": ["k"], "values": ["v"]})
    assert sender.flush(timeout_s=30)
    assert [r.value for r in log.records[:2]] == [b"first", b"second"]
    assert len(log.records) == 3
    sender.close()
    assert not orphan.folder.exists()
