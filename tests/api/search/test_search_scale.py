"""A search over 10,000 runs, logged through the SDK and projected from the log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runstream import writes
from runstream.api.search import search_runs
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService
from runstream.context import flush

RUNS = 10_000


@pytest.fixture
def ten_thousand_runs(log_path: Path, service: ProjectionService) -> float:
    """Runs i = 0..9999 in experiment 'scale': metric acc = i / RUNS, param
    optimizer = adam for even i, tag shard = i % 10; returns the seconds it took
    to log and project them."""
    started = time.perf_counter()
    for i in range(RUNS):
        info = writes.create_run("scale", f"run-{i:05d}", tags={"shard": i % 10})
        writes.log_params(info.run_id, {"optimizer": "adam" if i % 2 else "sgd"})
        writes.log_metric(info.run_id, "acc", i / RUNS, step=1)
        writes.set_status(info.run_id, "FINISHED")
    flush()
    service.catch_up(timeout_s=600)
    return time.perf_counter() - started


def test_search_over_ten_thousand_runs(
    store: ClickHouseStore, ten_thousand_runs: float
) -> None:
    started = time.perf_counter()
    page = search_runs(
        store,
        ["scale"],
        "metrics.acc >= 0.5 AND params.optimizer = 'adam' AND tags.shard = '3'",
        ["metrics.acc DESC"],
        max_results=100,
    )
    first = time.perf_counter() - started
    # Odd i in [5000, 10000) with i % 10 == 3: 500 runs, best first.
    assert len(page.rows) == 100
    assert page.rows[0]["run_name"] == "run-09993"
    assert page.rows[-1]["run_name"] == "run-09003"

    started = time.perf_counter()
    names: list[str] = []
    token = None
    while True:
        page = search_runs(
            store,
            ["scale"],
            "attributes.status = 'FINISHED'",
            ["attributes.run_name ASC"],
            max_results=2_500,
            page_token=token,
        )
        names.extend(row["run_name"] for row in page.rows)
        token = page.next_page_token
        if token is None:
            break
    every = time.perf_counter() - started
    assert names == [f"run-{i:05d}" for i in range(RUNS)]
    print(
        f"\n{RUNS:,} runs logged and projected in {ten_thousand_runs:.1f}s; "
        f"filtered search {first * 1000:.0f} ms; all {RUNS:,} in 4 pages "
        f"{every * 1000:.0f} ms"
    )
