"""Workloads against runstream on its embedded default: a ``runstream server``
process owns the store, and this process logs through the SDK into its log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

import runstream
from bench.common import free_port, wait_until


@dataclass(frozen=True)
class Server:
    url: str
    home: Path

    def get(self, path: str, **params: object) -> httpx.Response:
        answer = httpx.get(f"{self.url}{path}", params=params, timeout=60)
        answer.raise_for_status()
        return answer

    def caught_up(self) -> bool:
        # A slow answer while the consumer writes a large batch is "not yet".
        try:
            health = httpx.get(f"{self.url}/api/v1/health", timeout=30).json()
        except httpx.HTTPError:
            return False
        return bool(health["total_lag"] == 0)


@contextmanager
def runstream_server(tracking_uri: str | None = None) -> Iterator[Server]:
    """A ``runstream server`` on its own home; its log is the embedded one, or
    ``tracking_uri`` (``kafka://host:port``) when given. The SDK of this process
    writes to the same log."""
    with tempfile.TemporaryDirectory(prefix="bench-runstream-") as folder:
        home = Path(folder)
        port = free_port()
        env = {**os.environ, "RUNSTREAM_HOME": folder}
        if tracking_uri:
            env["RUNSTREAM_TRACKING_URI"] = tracking_uri
        command = [sys.executable, "-m", "runstream.cli", "server",
                   "--port", str(port), "--no-dashboard"]  # fmt: skip
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        server = Server(f"http://127.0.0.1:{port}", home)
        try:
            wait_until(lambda: _answers(server.url), 120, "runstream server start")
            runstream.set_tracking_uri(tracking_uri or home / "log.sqlite")
            yield server
        finally:
            process.terminate()
            process.wait(60)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def single(n: int) -> dict[str, float]:
    """``log_metric`` one point per call; what the caller waits is what counts."""
    with runstream.start_run():
        started = time.perf_counter()
        for i in range(n):
            runstream.log_metric("loss", 1.0 / (i + 1), step=i)
        calls = time.perf_counter() - started
    return {"points_per_s": n / calls, "us_per_call": calls / n * 1e6}


def call_times(n: int) -> dict[str, float]:
    """How long each of ``n`` ``log_metric`` calls blocks its caller, call by
    call. The throughput figure is an average; the tail is where the sender
    thread, encoding and appending in the background, holds the GIL or the
    buffer's lock while the caller waits."""
    waits = [0] * n
    clock = time.perf_counter_ns
    with runstream.start_run():
        for i in range(n):
            started = clock()
            runstream.log_metric("loss", 1.0 / (i + 1), step=i)
            waits[i] = clock() - started
    waits.sort()
    return {
        "p50_us": waits[n // 2] / 1e3,
        "p99_us": waits[int(n * 0.99)] / 1e3,
        "p999_us": waits[int(n * 0.999)] / 1e3,
        "max_us": waits[-1] / 1e3,
    }


def batches(n: int, keys: int = 100) -> dict[str, float]:
    """``log_metrics`` with ``keys`` metrics per call."""
    names = [f"k{j}" for j in range(keys)]
    with runstream.start_run():
        started = time.perf_counter()
        for step in range(n // keys):
            runstream.log_metrics(dict.fromkeys(names, float(step)), step=step)
        calls = time.perf_counter() - started
    return {"points_per_s": n / calls, "us_per_call": calls / (n // keys) * 1e6}


def one_run_end_to_end(server: Server, n: int, keys: int = 100) -> dict[str, float]:
    """``n`` points into one run, from the first call until every point is
    returned by the query API."""
    names = [f"k{j}" for j in range(keys)]
    started = time.perf_counter()
    with runstream.start_run() as run:
        for step in range(n // keys):
            runstream.log_metrics(dict.fromkeys(names, float(step)), step=step)
    logged = time.perf_counter() - started
    # The health answer is cheap; polling the metric itself would compete with
    # the projection for the store.
    wait_until(server.caught_up, 600, "all points projected")
    path = f"/api/v1/runs/{run.info.run_id}/metrics/k{keys - 1}"
    visible = server.get(path, max_points=2).json()["total_points"]
    assert visible == n // keys, f"{visible} of {n // keys} points visible"
    total = time.perf_counter() - started
    return {"logged_s": logged, "end_to_end_s": total, "points_per_s": n / total}


def long_metric(server: Server, n: int) -> str:
    """A run with one metric of ``n`` points, projected; returns its run id."""
    with runstream.start_run() as run:
        for first in range(0, n, 10_000):
            for step in range(first, min(first + 10_000, n)):
                runstream.log_metric("loss", 1.0 / (step + 1), step=step)
    wait_until(server.caught_up, 600, "projection of the long metric")
    return run.info.run_id


def reading(server: Server, run_id: str, repeats: int) -> dict[str, float]:
    path = f"/api/v1/runs/{run_id}/metrics/loss"
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = server.get(path, max_points=1000).json()
        timings.append(time.perf_counter() - started)
    assert len(answer["x"]) <= 1000
    started = time.perf_counter()
    export = server.get(f"/api/v1/runs/{run_id}/export/metrics", key="loss",
                        format="parquet")  # fmt: skip
    exported = time.perf_counter() - started
    return {
        "downsample_s": sorted(timings)[len(timings) // 2],
        "total_points": answer["total_points"],
        "export_s": exported,
        "export_bytes": len(export.content),
    }


def freshness(server: Server, seconds: float, rate: int) -> dict[str, float]:
    """Log ``rate`` points/s for ``seconds`` while a probe carries its send time;
    another thread reads the probe through the API and records how old it is."""
    samples: list[float] = []
    stop = threading.Event()
    with runstream.start_run() as run:
        reader = threading.Thread(
            target=_read_probe, args=(server, run.info.run_id, samples, stop)
        )
        reader.start()
        names = [f"load{j}" for j in range(100)]
        tick = 0.01
        per_tick = max(1, rate // 100 // len(names))
        deadline = time.monotonic() + seconds
        step = 0
        while time.monotonic() < deadline:
            next_tick = time.monotonic() + tick
            for _ in range(per_tick):
                runstream.log_metrics(dict.fromkeys(names, 1.0), step=step)
                step += 1
            runstream.log_metric("probe", time.time(), step=step)
            time.sleep(max(0.0, next_tick - time.monotonic()))
        stop.set()
        reader.join()
    samples.sort()
    return {
        "p50_s": samples[len(samples) // 2],
        "p99_s": samples[max(0, int(len(samples) * 0.99) - 1)],
        "samples": len(samples),
        "achieved_points_per_s": step * 100 / seconds,
    }


def _read_probe(
    server: Server, run_id: str, samples: list[float], stop: threading.Event
) -> None:
    last = None
    while not stop.is_set():
        try:
            metrics = server.get(f"/api/v1/runs/{run_id}").json()["metrics"]
        except httpx.HTTPError:
            metrics = {}
        probe = metrics.get("probe")
        if isinstance(probe, float) and probe != last:
            samples.append(time.time() - probe)
            last = probe
        time.sleep(0.02)


def search(server: Server, runs: int, repeats: int) -> dict[str, float]:
    """``runs`` runs with 20 params and 20 metrics each, then one filter."""
    experiment = runstream.set_experiment(f"bench-search-{time.time_ns()}")
    for r in range(runs):
        with runstream.start_run():
            runstream.log_params({f"p{i}": (r + i) % 10 for i in range(20)})
            runstream.log_metrics({f"m{i}": (r * 7 + i) % 100 / 100 for i in range(20)})
    wait_until(server.caught_up, 900, "projection of the search runs")
    body = {
        "experiment_ids": [experiment.experiment_id],
        "filter": "metrics.m0 > 0.5 and params.p1 = '3'",
        "max_results": 1000,
    }
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = httpx.post(f"{server.url}/api/v1/runs/search", json=body, timeout=60)
        answer.raise_for_status()
        timings.append(time.perf_counter() - started)
    return {
        "search_s": sorted(timings)[len(timings) // 2],
        "matched": len(answer.json()["runs"]),
    }


def replay(server: Server) -> dict[str, float]:
    """Rebuild every projection from the start of the log beside the live one."""
    answer = httpx.post(
        f"{server.url}/api/v1/replays",
        json={"into": f"bench{time.time_ns()}"},
        timeout=60,
    )
    answer.raise_for_status()
    replay_id = answer.json()["replay_id"]
    report: dict[str, object] = {}

    def finished() -> bool:
        report.update(server.get(f"/api/v1/replays/{replay_id}").json())
        return report["phase"] in ("done", "failed")

    wait_until(finished, 1800, "the replay")
    if report["phase"] != "done":
        raise RuntimeError(f"replay failed: {report.get('error')}")
    return {
        "events_per_s": float(report["events_per_s"]),  # type: ignore[arg-type]
        "points_per_s": float(report["points_per_s"]),  # type: ignore[arg-type]
        "points": float(report["points_applied"]),  # type: ignore[arg-type]
    }


def sdk_memory(points: int) -> dict[str, float]:
    """Peak memory of a process logging ``points`` while the log is down."""
    script = Path(__file__).with_name("sdk_memory.py")
    done = subprocess.run(
        [sys.executable, str(script), str(points)],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
