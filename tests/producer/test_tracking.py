"""The SDK's contract: clear errors for bad input, nothing accepted is lost."""

from pathlib import Path

import pytest

import runstream
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService
from runstream.errors import InvalidInputError, RunNotActiveError


def test_exception_inside_run_marks_it_failed(
    service: ProjectionService, store: ClickHouseStore
) -> None:
    with pytest.raises(ZeroDivisionError):
        with runstream.start_run() as run:
            runstream.log_metric("kept", 1.0)
            raise ZeroDivisionError("boom")
    service.catch_up()
    rows = store.query(
        f"SELECT status FROM {store.table('runs')} FINAL WHERE run_id = {{r:String}}",
        {"r": run.info.run_id},
    )
    assert rows == [{"status": "FAILED"}]
    assert runstream.active_run() is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("loss", "high", "must be numbers"),
        ("", 1.0, "non-empty"),
        ("a" * 251, 1.0, "limit is 250"),
        ("bad!key", 1.0, "may only hold"),
        ("../escape", 1.0, "does not leave"),
        ("/abs", 1.0, "does not leave"),
    ],
)
def test_bad_metric_names_key_and_run(
    log_path: Path, key: str, value: object, message: str
) -> None:
    with runstream.start_run() as run:
        with pytest.raises(InvalidInputError, match=message) as info:
            runstream.log_metric(key, value)  # type: ignore[arg-type]
        assert run.info.run_id in str(info.value)


def test_bad_input_loses_nothing_logged_before(
    service: ProjectionService, store: ClickHouseStore
) -> None:
    with runstream.start_run():
        runstream.log_metric("good", 1.0, step=1)
        with pytest.raises(InvalidInputError):
            runstream.log_metrics({"fine": 1.0, "broken": "x"})  # type: ignore[dict-item]
        runstream.log_metric("good", 2.0, step=2)
    service.catch_up()
    rows = store.query(
        f"SELECT key, step FROM {store.table('metrics')} FINAL ORDER BY step"
    )
    assert rows == [{"key": "good", "step": 1}, {"key": "good", "step": 2}]


def test_logging_to_a_finished_run_raises(log_path: Path) -> None:
    with runstream.start_run() as run:
        pass
    with pytest.raises(RunNotActiveError, match=run.info.run_id):
        runstream.log_metric("late", 1.0, run_id=run.info.run_id)


def test_changing_a_param_is_refused(log_path: Path) -> None:
    with runstream.start_run():
        runstream.log_param("lr", 0.1)
        runstream.log_param("lr", 0.1)
        with pytest.raises(InvalidInputError, match="immutable"):
            runstream.log_param("lr", 0.2)


def test_second_top_level_run_needs_nested(log_path: Path) -> None:
    with runstream.start_run() as parent:
        with pytest.raises(InvalidInputError, match="nested=True"):
            runstream.start_run()
        with runstream.start_run(nested=True) as child:
            assert runstream.active_run() is child
        assert runstream.active_run() is parent


def test_logging_call_returns_without_waiting(log_path: Path) -> None:
    import time

    with runstream.start_run():
        started = time.perf_counter()
        for i in range(10_000):
            runstream.log_metric("fast", float(i), step=i)
        per_call = (time.perf_counter() - started) / 10_000
    # Generous bound: this only guards against a call that waits for I/O.
    assert per_call < 0.001


def _forked_worker(run_id: str) -> None:
    runstream.start_run(run_id=run_id)
    for step in range(1_000):
        runstream.log_metric("worker/loss", 1.0, step=step)
    # No flush and no end_run: leaving the process must deliver the points.


def test_forked_worker_delivers_without_explicit_flush(
    service: ProjectionService, store: ClickHouseStore
) -> None:
    import multiprocessing

    with runstream.start_run() as run:
        runstream.flush()
        worker = multiprocessing.get_context("fork").Process(
            target=_forked_worker, args=(run.info.run_id,)
        )
        worker.start()
        worker.join(60)
        assert worker.exitcode == 0
    service.catch_up()
    rows = store.query(f"SELECT count() AS n FROM {store.table('metrics')} FINAL")
    assert rows == [{"n": 1_000}]
