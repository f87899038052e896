"""Workloads against MLflow, run inside the peer's own venv (it imports mlflow,
which runstream's environment does not have). Prints one JSON line of figures."""

from __future__ import annotations

import argparse
import json
import statistics
import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param


def single(client: MlflowClient, run_id: str, n: int) -> dict[str, float]:
    """``n`` ``log_metric`` calls; also how long each blocked its caller."""
    waits = []
    started = time.perf_counter()
    for i in range(n):
        called = time.perf_counter()
        client.log_metric(run_id, "loss", 1.0 / (i + 1), step=i)
        waits.append(time.perf_counter() - called)
    waits.sort()
    return {
        "points_per_s": n / (time.perf_counter() - started),
        "p99_us": waits[int(n * 0.99)] * 1e6,
    }


def batches(client: MlflowClient, run_id: str, n: int) -> dict[str, float]:
    """``n`` points as log_batch calls of 1,000 (MLflow's limit per call)."""
    now = int(time.time() * 1000)
    started = time.perf_counter()
    for first in range(0, n, 1000):
        metrics = [
            Metric(f"k{i % 100}", float(i), now, i // 100)
            for i in range(first, min(first + 1000, n))
        ]
        client.log_batch(run_id, metrics=metrics)
    return {"points_per_s": n / (time.perf_counter() - started)}


def history(client: MlflowClient, run_id: str, n: int) -> dict[str, float]:
    """One metric of ``n`` points, then its whole history read back."""
    now = int(time.time() * 1000)
    key = "loss"
    for first in range(0, n, 1000):
        points = [
            Metric(key, 1.0 / (i + 1), now, i) for i in range(first, first + 1000)
        ]
        client.log_batch(run_id, metrics=points[: n - first])
    started = time.perf_counter()
    points = client.get_metric_history(run_id, key)
    full = time.perf_counter() - started
    return {"full_history_s": full, "points": len(points)}


def freshness(client: MlflowClient, run_id: str, seconds: int) -> dict[str, float]:
    """Log a timestamped probe and read it back until seen; MLflow writes
    synchronously, so this is the write-then-read latency at its own pace."""
    samples = []
    deadline = time.monotonic() + seconds
    step = 0
    while time.monotonic() < deadline:
        sent = time.perf_counter()
        client.log_metric(run_id, "probe", sent, step=step)
        while client.get_run(run_id).data.metrics.get("probe") != sent:
            pass
        samples.append(time.perf_counter() - sent)
        step += 1
    samples.sort()
    return {
        "p50_s": statistics.median(samples),
        "p99_s": samples[int(len(samples) * 0.99) - 1],
        "samples": len(samples),
    }


def search(client: MlflowClient, experiment_id: str, runs: int) -> dict[str, float]:
    for r in range(runs):
        run = client.create_run(experiment_id)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(f"m{i}", (r * 7 + i) % 100 / 100, 0, 0) for i in range(20)],
            params=[Param(f"p{i}", str((r + i) % 10)) for i in range(20)],
        )
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        found = client.search_runs(
            [experiment_id],
            "metrics.m0 > 0.5 and params.p1 = '3'",
            max_results=1000,
        )
        timings.append(time.perf_counter() - started)
    return {"search_s": statistics.median(timings), "matched": len(found)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--uri", required=True)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    client = MlflowClient(args.uri)
    experiment_id = client.create_experiment(f"bench-{time.time_ns()}")
    run_id = client.create_run(experiment_id).info.run_id
    if args.workload == "single":
        result = single(client, run_id, args.n)
    elif args.workload == "batches":
        result = batches(client, run_id, args.n)
    elif args.workload == "history":
        result = history(client, run_id, args.n)
    elif args.workload == "freshness":
        result = freshness(client, run_id, args.n)
    elif args.workload == "search":
        result = search(client, experiment_id, args.n)
    else:
        raise SystemExit(f"unknown workload {args.workload}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
