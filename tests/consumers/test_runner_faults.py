"""The consumer loop under faults: a batch that fails is read again from the
committed positions, even when the log cannot be joined again at first."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import pytest

import runstream
from runstream.consumers import runner as runner_module
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.runner import ProjectionRunner
from runstream.consumers.service import ProjectionService
from runstream.errors import EventLogError, StoreError
from runstream.events import DEAD_LETTER_TOPIC, TRACKING_TOPIC
from runstream.log import LogConsumer, Record, SqliteEventLog


def points(store: ClickHouseStore, run_id: str) -> int:
    (row,) = store.query(
        f"SELECT count() AS n FROM {store.table('metrics')} FINAL "
        "WHERE run_id = {run:String}",
        {"run": run_id},
    )
    return int(row["n"])


class DownLog:
    """The service's log, whose consumers cannot be made while ``down`` > 0."""

    def __init__(self, log: SqliteEventLog) -> None:
        self.log = log
        self.down = 0
        self.refused = 0

    def consumer(self, group_id: str, topics: Sequence[str]) -> LogConsumer:
        if self.down:
            self.down -= 1
            self.refused += 1
            raise EventLogError("the log is down (test)")
        return self.log.consumer(group_id, topics)

    def __getattr__(self, name: str) -> object:
        return getattr(self.log, name)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "RETRY_BACKOFF_S", (0.01, 0.01, 0.05))


def fail_writes(runner: ProjectionRunner, times: int) -> None:
    """The runner's next ``times`` projection writes fail as if the store were
    down."""
    apply = runner.projector.apply
    failures = iter([StoreError("the store is down (test)")] * times)

    def failing_apply(batch: object) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        apply(batch)  # type: ignore[arg-type]

    runner.projector.apply = failing_apply  # type: ignore[method-assign]


def run_until_projected(
    runner: ProjectionRunner, store: ClickHouseStore, run_id: str, expected: int
) -> None:
    """Run the consumer loop in a thread until ``run_id`` has ``expected`` points."""
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while points(store, run_id) < expected:
            assert thread.is_alive(), "the consumer loop died"
            assert time.monotonic() < deadline, "the points were not projected"
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)


def test_a_batch_that_fails_while_the_log_is_down_is_applied_once_later(
    service: ProjectionService, fast_retries: None, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="runstream")
    with runstream.start_run() as run:
        for step in range(500):
            runstream.log_metric("loss", step / 500, step=step)
    runstream.flush()

    log = DownLog(service.log)  # type: ignore[arg-type]
    runner = ProjectionRunner(log, service.runner.projector, "faults")  # type: ignore[arg-type]
    fail_writes(runner, 4)
    log.down = 2  # the first two rewinds cannot join the log again
    run_until_projected(runner, service.store, run.info.run_id, 500)

    assert log.refused == 2
    attempts = [r.getMessage() for r in caplog.records if "attempt" in r.getMessage()]
    assert any("attempt 4/4" in m for m in attempts), attempts
    assert runner.last_error is None
    assert points(service.store, run.info.run_id) == 500


def test_the_param_check_is_retried_like_the_write(
    service: ProjectionService,
    fast_retries: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
):
    """A batch with params reads the params already projected before it writes;
    the store failing then is retried in place, not by reading the log again."""
    caplog.set_level(logging.WARNING, logger="runstream")
    with runstream.start_run() as run:
        runstream.log_param("lr", "0.1")
    runstream.flush()

    screen = runner_module.rules.screen
    failures = iter([StoreError("the store is down (test)")] * 2)

    def failing_screen(store: ClickHouseStore, items: list) -> object:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return screen(store, items)

    monkeypatch.setattr(runner_module.rules, "screen", failing_screen)
    runner = ProjectionRunner(service.log, service.runner.projector, "check")
    assert runner.run_once(timeout_s=5) > 0

    messages = [r.getMessage() for r in caplog.records]
    assert [m.split(",")[1].strip() for m in messages if "check failed" in m] == [
        "attempt 1/4",
        "attempt 2/4",
    ]
    assert runner.last_error is None
    (row,) = service.store.query(
        f"SELECT value FROM {service.store.table('params')} FINAL "
        "WHERE run_id = {run:String}",
        {"run": run.info.run_id},
    )
    assert row["value"] == "0.1"


def test_a_refused_record_in_a_batch_read_again_is_dead_lettered_once(
    service: ProjectionService, fast_retries: None
):
    with runstream.start_run() as run:
        runstream.log_metric("loss", 0.5, step=0)
    runstream.flush()
    service.log.append([Record(TRACKING_TOPIC, run.info.run_id, b"not avro")])
    with runstream.start_run(run_id=run.info.run_id):
        runstream.log_metric("loss", 0.25, step=1)
    runstream.flush()

    runner = ProjectionRunner(service.log, service.runner.projector, "refused")
    # Every try of the first read fails, so the batch is read again from the log.
    fail_writes(runner, 4)
    run_until_projected(runner, service.store, run.info.run_id, 2)

    assert runner.dead_lettered == 1
    assert sum(service.log.end_offsets(DEAD_LETTER_TOPIC).values()) == 1
