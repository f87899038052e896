"""Many writers, one run: 16 processes, each a rank of one distributed job, log
50,000 points of one key into one run. The API must give back exactly 800,000
points, 50,000 per rank, none lost and none merged away, although every rank logs
the very same (step, timestamp, value) points."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import runstream
from runstream.consumers.service import ProjectionService
from runstream.context import state
from runstream.settings import Ranks, detect_ranks

WRITERS = 16
POINTS = 50_000

WORKER = textwrap.dedent(
    """
    import runstream

    with runstream.start_run():  # resumes RUNSTREAM_RUN_ID
        for step in range({points}):
            # The same point on every rank: only the rank tells them apart.
            runstream.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=step)
    """
)


def test_ranks_come_from_the_launchers_variables() -> None:
    assert detect_ranks({}) == runstream.settings.Ranks(0, 1, 0)
    ranks = detect_ranks({"RANK": "3", "WORLD_SIZE": "8", "LOCAL_RANK": "1"})
    assert (ranks.rank, ranks.world_size, ranks.local_rank) == (3, 8, 1)
    assert detect_ranks({"OMPI_COMM_WORLD_RANK": "5"}).rank == 5
    assert detect_ranks({"SLURM_PROCID": "2", "SLURM_NTASKS": "4"}).world_size == 4
    assert detect_ranks({"RANK": "x"}).rank == 0


def test_sixteen_writers_lose_and_duplicate_nothing(
    log_path: Path,
    service: ProjectionService,
    api_url: str,
    synced: Callable[[], None],
) -> None:
    with runstream.start_run(run_name="distributed") as run:
        run_id = run.info.run_id
        runstream.flush()
        started = time.perf_counter()
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER.format(points=POINTS)],
                env={
                    **os.environ,
                    "RUNSTREAM_TRACKING_URI": str(log_path),
                    "RUNSTREAM_RUN_ID": run_id,
                    "RANK": str(rank),
                    "WORLD_SIZE": str(WRITERS),
                    "LOCAL_RANK": str(rank % 8),
                },
            )
            for rank in range(WRITERS)
        ]
        assert [w.wait(timeout=600) for w in workers] == [0] * WRITERS
        logged = time.perf_counter() - started
    synced()
    projected = time.perf_counter() - started - logged

    summary = httpx.get(f"{api_url}/api/v1/runs/{run_id}/metric-summary").json()
    assert summary["merged"][0]["key"] == "loss"
    assert summary["merged"][0]["points"] == WRITERS * POINTS
    assert {e["rank"]: e["points"] for e in summary["per_rank"]} == {
        rank: POINTS for rank in range(WRITERS)
    }
    # The latest value is the highest step's, whichever rank logged it.
    assert summary["merged"][0]["latest_step"] == POINTS - 1

    read_start = time.perf_counter()
    history = runstream.get_metric_history(run_id, "loss")
    read = time.perf_counter() - read_start
    assert len(history) == WRITERS * POINTS
    per_rank = Counter(point.rank for point in history)
    assert per_rank == {rank: POINTS for rank in range(WRITERS)}
    assert len({(p.rank, p.step) for p in history}) == WRITERS * POINTS
    one_rank = runstream.get_metric_history(run_id, "loss", rank=7)
    assert [p.step for p in one_rank] == list(range(POINTS))

    print(
        f"\n{WRITERS}x{POINTS:,} points: logged in {logged:.1f}s, projected in "
        f"{projected:.1f}s, read back in {read:.1f}s"
    )


def test_only_rank_zero_moves_a_resumed_runs_status(
    log_path: Path,
    service: ProjectionService,
    api_url: str,
    synced: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with runstream.start_run() as launcher:
        run_id = launcher.info.run_id
        monkeypatch.setattr(state, "ranks", Ranks(3, 4, 3))
        monkeypatch.setenv("RUNSTREAM_RUN_ID", run_id)
        # A worker of the same job, resuming the run from the environment.
        with runstream.start_run(nested=True, run_id=run_id):
            runstream.log_metric("from_rank_3", 1.0)
        synced()
        # The worker's end did not end the run for the others.
        assert runstream.get_run(run_id).info.status == "RUNNING"
