"""The SDK keeps going while the log is down: it spills to disk beyond its memory
bound and delivers everything, in order and once, when the log is back."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from runstream.errors import AuthError, EventLogError, PartialAppendError
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
        self.refusal: Exception | None = None

    def append(self, records: Sequence[Record]) -> list[Position]:
        if self.refusal is not None:
            raise self.refusal
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


def adoptable(folder: Path) -> None:
    """Make ``folder`` look left behind by a process that has ended."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    (folder / "owner").write_text(f"{os.uname().nodename} {dead.stdout}")


def test_a_refused_token_spills_at_once_and_flush_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = FlakyLog()
    log.refusal = AuthError(
        "the runstream API at http://api refused POST /api/v1/events with 403: "
        "it needs the write role; set RUNSTREAM_TOKEN to a token with the write role"
    )
    sender = Sender(lambda: log, flush_interval_s=0.01, spill_dir=tmp_path)
    for i in range(100):
        sender.add_point("run-a", "loss", float(i), i, 0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="runstream"):
        with pytest.raises(AuthError, match="write role"):
            sender.flush(timeout_s=60)
        # Logging goes on, to disk, and nothing waits for the log any more.
        sender.add_point("run-a", "loss", 100.0, 100, 0)
        with pytest.raises(AuthError):
            sender.flush(timeout_s=60)
        sender.close()
    assert time.monotonic() - started < 10

    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "set RUNSTREAM_TOKEN to a token with the write role" in errors[0]
    folder = tmp_path / sender.producer_id
    assert list(folder.glob("*.batch"))

    # The next process on this machine, with a token that works, delivers them.
    adoptable(folder)
    working = FlakyLog()
    working.up.set()
    later = Sender(lambda: working, flush_interval_s=0.01, spill_dir=tmp_path)
    assert later.flush(timeout_s=30)
    later.close()
    assert points_by_run(working) == {"run-a": [float(i) for i in range(101)]}
    assert not folder.exists()


def closed_port() -> int:
    """A port nobody listens on: the address of a log that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_script(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``script`` in a Python process of its own, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


LOGS_THEN_WAITS = """
import time, runstream
run = runstream.start_run()
for step in range(1000):
    runstream.log_metric("loss", float(step), step=step)
print(run.info.run_id, flush=True)
time.sleep(300)
"""


def test_sigterm_while_the_log_is_down_spills_for_the_next_process(
    tmp_path: Path,
) -> None:
    spill = tmp_path / "spill"
    env = {
        **os.environ,
        "RUNSTREAM_HOME": str(tmp_path),
        "RUNSTREAM_TRACKING_URI": f"http://127.0.0.1:{closed_port()}",
        "RUNSTREAM_SPILL_DIR": str(spill),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(LOGS_THEN_WAITS)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    run_id = child.stdout.readline().strip()
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=120)
    assert time.monotonic() - started < 10, stderr
    assert child.returncode == -signal.SIGTERM, stderr
    (destination,) = spill.iterdir()
    (folder,) = destination.iterdir()
    assert list(folder.glob("*.batch")), stderr

    log = FlakyLog()
    log.up.set()
    later = Sender(lambda: log, flush_interval_s=0.01, spill_dir=destination)
    assert later.flush(timeout_s=30)
    later.close()
    assert points_by_run(log)[run_id] == [float(step) for step in range(1000)]
    statuses = [
        event.payload["status"]
        for event in map(decode, (r.value for r in log.records))
        if event.event_type == "RunStatusChanged"
    ]
    assert statuses == ["KILLED"]
    assert not any(destination.iterdir())


ENDS_WHILE_THE_LOG_IS_DOWN = """
import runstream
with runstream.start_run() as run:
    for step in range(100):
        runstream.log_metric("loss", float(step), step=step)
print(run.info.run_id, flush=True)
"""


def test_a_script_whose_log_is_down_ends_and_its_events_wait_for_that_log(
    tmp_path: Path,
) -> None:
    spill = tmp_path / "spill"
    down = f"http://127.0.0.1:{closed_port()}"
    env = {
        **os.environ,
        "RUNSTREAM_HOME": str(tmp_path),
        "RUNSTREAM_TRACKING_URI": down,
        "RUNSTREAM_LOG_DOWN_WAIT_S": "1",
    }
    started = time.monotonic()
    done = run_script(ENDS_WHILE_THE_LOG_IS_DOWN, env)
    # end_run and the exit each wait about RUNSTREAM_LOG_DOWN_WAIT_S, not 60 s.
    assert time.monotonic() - started < 30, done.stderr
    assert done.returncode == 0, done.stderr
    assert "failed every append" in done.stderr
    run_id = done.stdout.strip()
    (destination,) = spill.iterdir()
    assert destination.name.startswith("http-")

    # A process writing to another log neither adopts nor delivers them ...
    other = {**env, "RUNSTREAM_TRACKING_URI": str(tmp_path / "other.sqlite")}
    elsewhere = run_script(ENDS_WHILE_THE_LOG_IS_DOWN, other)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert list(destination.glob("*/*.batch"))

    # ... and one writing to the log they were meant for delivers them all.
    log = FlakyLog()
    log.up.set()
    later = Sender(lambda: log, flush_interval_s=0.01, spill_dir=destination)
    assert later.flush(timeout_s=30)
    later.close()
    assert points_by_run(log) == {run_id: [float(step) for step in range(100)]}


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("RUNSTREAM_TRACKING_URI", "foo://bar", "names no event log"),
        ("RUNSTREAM_HOME", "{file}/sub", "RUNSTREAM_HOME"),
        ("RUNSTREAM_SPILL_DIR", "{file}/spill", "RUNSTREAM_SPILL_DIR"),
    ],
)
def test_a_log_or_spill_folder_that_cannot_be_is_refused_by_the_first_call(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    env = {
        **os.environ,
        "RUNSTREAM_HOME": str(tmp_path / "home"),
        variable: value.format(file=a_file),
    }
    if variable != "RUNSTREAM_TRACKING_URI":
        env.pop("RUNSTREAM_TRACKING_URI", None)
    script = (
        "import runstream\n"
        "try:\n"
        "    runstream.start_run()\n"
        "except runstream.errors.InvalidInputError as e:\n"
        "    print(e)\n"
    )
    started = time.monotonic()
    done = run_script(script, env)
    assert time.monotonic() - started < 20, done.stderr
    assert done.returncode == 0, done.stderr
    assert named in done.stdout, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr


def test_an_event_that_cannot_be_encoded_does_not_stop_the_ones_after_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = FlakyLog()
    log.up.set()
    sender = Sender(lambda: log, flush_interval_s=0.01, spill_dir=tmp_path)
    sender.submit("TagsSet", {"run_id": "run-a", "tags": object()})
    sender.add_point("run-a", "loss", 1.0, 0, 0)
    assert sender.flush(timeout_s=30)
    sender.close()
    assert points_by_run(log) == {"run-a": [1.0]}
    assert any("cannot be encoded" in r.getMessage() for r in caplog.records)
