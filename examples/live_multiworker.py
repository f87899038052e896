"""A long, live run that several worker processes write at once.

    python examples/live_multiworker.py [--workers 4] [--duration 60]
                                        [--points-per-worker 25000]

The parent starts one run in the experiment "live-training". Each worker process
resumes that run by id and logs a simulated training curve under keys of its own
rank (``rank0/loss``, ``rank0/accuracy``, ``rank0/lr``, ``rank0/samples_per_s``),
paced over ``--duration`` seconds so that a live chart moves while it runs
(``--duration 0`` logs as fast as it can). Each worker gets RANK, WORLD_SIZE and
LOCAL_RANK as torchrun would give them, so its points carry its rank and only
rank 0 changes the run's status. The parent ends the run once every worker has
joined: FINISHED, or FAILED if a worker failed. Set
RUNSTREAM_TRACKING_URI (or RUNSTREAM_HOME) to choose where the events go.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.queues import Queue

import runstream

KEYS_PER_STEP = 4
# How often a paced worker wakes to log the steps that have come due.
TICK_S = 0.05
BATCH_SIZE = 256


@dataclass(frozen=True)
class WorkerJob:
    run_id: str
    rank: int
    steps: int
    duration_s: float
    tracking_uri: str


class TrainingCurve:
    """A plausible, noisy training curve; each rank draws its own noise."""

    def __init__(self, rank: int, steps: int) -> None:
        self.rank = rank
        self.steps = steps
        self.noise = random.Random(rank)
        self.warmup = max(1, steps // 20)

    def at(self, step: int) -> dict[str, float]:
        progress = step / self.steps
        if step < self.warmup:
            lr = 3e-4 * (step + 1) / self.warmup
        else:
            lr = 3e-4 * 0.5 * (1 + math.cos(math.pi * progress))
        loss = 2.3 * math.exp(-4 * progress) + 0.08 + self.noise.gauss(0, 0.03)
        accuracy = 0.97 - 0.87 * math.exp(-5 * progress) + self.noise.gauss(0, 0.01)
        step_time_s = 0.12 + 0.01 * self.rank + abs(self.noise.gauss(0, 0.01))
        prefix = f"rank{self.rank}"
        return {
            f"{prefix}/loss": max(loss, 0.0),
            f"{prefix}/accuracy": min(max(accuracy, 0.0), 1.0),
            f"{prefix}/lr": lr,
            f"{prefix}/samples_per_s": BATCH_SIZE / step_time_s,
        }


def run_worker(job: WorkerJob, results: Queue) -> None:
    """Log one rank's curve into the shared run, then flush and leave it running."""
    runstream.set_tracking_uri(job.tracking_uri)
    # Resumed without a `with` block, which would end the run when this rank is
    # done; only the parent knows when all of them are. (Rank 0 still marks it
    # FINISHED as its process exits; the parent's end_run sets the last status.)
    runstream.start_run(run_id=job.run_id)
    curve = TrainingCurve(job.rank, job.steps)
    started = time.monotonic()

    step = 0
    try:
        while step < job.steps:
            due = _steps_due(job, time.monotonic() - started)
            while step < due:
                runstream.log_metrics(curve.at(step), step=step)
                step += 1
            if step < job.steps:
                time.sleep(TICK_S)
    except KeyboardInterrupt:
        # Ctrl-C reaches every process of the terminal; the parent ends the run.
        runstream.flush()
        return

    # Flush before reporting: the parent ends the run once every worker has
    # reported, so all points must be on the log by then. (A worker started
    # with fork, unlike spawn, would not even run the SDK's flush at exit.)
    if not runstream.flush():
        raise RuntimeError(f"rank {job.rank} could not flush its points in time")
    results.put((job.rank, step * KEYS_PER_STEP))


def _steps_due(job: WorkerJob, elapsed_s: float) -> int:
    if job.duration_s <= 0:
        return job.steps
    return min(job.steps, math.ceil(job.steps * elapsed_s / job.duration_s) + 1)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    steps = math.ceil(args.points_per_worker / KEYS_PER_STEP)
    runstream.set_experiment(args.experiment)

    with runstream.start_run(run_name="live-multiworker") as run:
        runstream.log_params(
            {
                "workers": args.workers,
                "duration_s": args.duration,
                "points_per_worker": steps * KEYS_PER_STEP,
                "steps_per_worker": steps,
                "keys_per_step": KEYS_PER_STEP,
            }
        )
        # The run must be on the log before any worker resumes it.
        runstream.flush()
        started = time.monotonic()
        points, failed = _run_workers(run.info.run_id, steps, args)
        elapsed_s = time.monotonic() - started

        if failed:
            runstream.end_run("FAILED")
            print(f"workers failed: {', '.join(failed)}", file=sys.stderr)
            return 1
        runstream.log_metrics(
            {"points_total": points, "points_per_s": points / elapsed_s}
        )

    print(f"run_id: {run.info.run_id}")
    print(f"points: {points}")
    print(f"seconds: {elapsed_s:.2f}")
    print(f"points/s: {points / elapsed_s:.0f}")
    return 0


def _run_workers(
    run_id: str, steps: int, args: argparse.Namespace
) -> tuple[int, list[str]]:
    """Start one spawned process per rank, wait for all; (points, failed ranks)."""
    context = multiprocessing.get_context("spawn")
    results: Queue = context.Queue()
    tracking_uri = runstream.get_tracking_uri()
    processes = [
        context.Process(
            target=run_worker,
            args=(WorkerJob(run_id, rank, steps, args.duration, tracking_uri), results),
            name=f"rank{rank}",
        )
        for rank in range(args.workers)
    ]
    for rank, process in enumerate(processes):
        with _launcher_variables(rank, args.workers):
            process.start()
    for process in processes:
        process.join()

    failed = [f"{p.name} (exit code {p.exitcode})" for p in processes if p.exitcode]
    points = sum(
        results.get(timeout=10)[1] for _ in range(len(processes) - len(failed))
    )
    return points, failed


@contextlib.contextmanager
def _launcher_variables(rank: int, world_size: int) -> Iterator[None]:
    """Set what torchrun sets for one worker while it is spawned: a spawned
    child reads its rank from the environment it starts with."""
    ours = {"RANK": str(rank), "WORLD_SIZE": str(world_size), "LOCAL_RANK": str(rank)}
    before = {name: os.environ.get(name) for name in ours}
    os.environ.update(ours)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A live run written by N workers.")
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds to spread logging over"
    )
    parser.add_argument(
        "--points-per-worker",
        type=int,
        default=25_000,
        help="metric points each worker logs (rounded up to whole steps)",
    )
    parser.add_argument("--experiment", default="live-training", help="experiment name")
    args = parser.parse_args(argv)
    if args.workers < 1 or args.points_per_worker < 1:
        parser.error("--workers and --points-per-worker must be at least 1")
    return args


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # Leaving the run's `with` block on Ctrl-C has already ended it KILLED.
        print("interrupted: the run ended KILLED", file=sys.stderr)
        sys.exit(130)
