"""Writers and readers that load a runstream deployment, each counting exactly what
it had accepted, and the check that every accepted point and param is readable.

Two kinds of writer, as in production:

- SDK writers (``sdk``): a process with several threads, each logging its own run
  through ``RunstreamClient`` into the event log the tracking URI names (the
  embedded SQLite log or Kafka). A call that returned is a point accepted.
- API writers (``api``): asyncio tasks, each an MLflow REST client of its own run
  (``runs/log-batch``, ``log-metric``, ``log-parameter``). A 200 answer is a point
  accepted.

Readers (``read``) do what an open dashboard does: list runs, open one, and fetch
downsampled series.

``python -m bench.load {sdk,api,read} ...`` (from the repository root) runs one
kind in this process and writes its tallies as JSON to ``--out``; the load test
and the soak start them as separate processes so they do not share a GIL with the
server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
MLFLOW = "/api/2.0/mlflow"
# A training step logs these together, as a real loop does.
STEP_KEYS = ("loss", "accuracy", "lr", "grad_norm", "throughput")
# One API log-batch: this many steps of these keys.
API_BATCH_KEYS = ("loss", "accuracy", "lr")
API_BATCH_STEPS = 10
# The MLflow client's own read timeout is 120 s; a write that takes longer than
# this under load counts as an error of the load test.
API_TIMEOUT_S = 60.0
# Says whether a write's projection was applied before the answer (applied) or
# the wait ran out (pending); the points are on the log either way.
PROJECTION_HEADER = "Runstream-Projection"


@dataclass
class Tally:
    """What one writer had accepted: points per key and params, for one run."""

    writer: str
    run_id: str = ""
    points: dict[str, int] = field(default_factory=dict)
    params: int = 0
    errors: list[str] = field(default_factory=list)
    # API writers only: seconds each write took, and how many were answered
    # before their projection (the read-your-writes wait ran out).
    request_s: list[float] = field(default_factory=list)
    pending: int = 0

    def count(self, key: str, n: int = 1) -> None:
        self.points[key] = self.points.get(key, 0) + n

    @property
    def total_points(self) -> int:
        return sum(self.points.values())


@dataclass
class ReadTally:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    slowest_s: float = 0.0


# -- SDK writers -------------------------------------------------------------------


def sdk_writers(
    threads: int, seconds: float, rate: float, prefix: str, experiment_id: str
) -> list[Tally]:
    """``threads`` runs logged at once from this process, each ``rate`` points/s
    (0: as fast as the SDK takes them) for ``seconds``."""
    import runstream

    client = runstream.RunstreamClient()
    tallies = [Tally(f"{prefix}-{i}") for i in range(threads)]
    deadline = time.monotonic() + seconds
    workers = [
        threading.Thread(
            target=_sdk_writer, args=(client, t, experiment_id, deadline, rate)
        )
        for t in tallies
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if not runstream.flush(timeout_s=300):
        for tally in tallies:
            tally.errors.append(f"flush timed out: {client_error()}")
    return tallies


def client_error() -> str | None:
    from runstream.context import sender

    return sender().last_error


def _sdk_writer(
    client: Any, tally: Tally, experiment_id: str, deadline: float, rate: float
) -> None:
    from runstream.entities import Metric

    try:
        run = client.create_run(experiment_id, run_name=tally.writer)
        tally.run_id = run.info.run_id
        steps_per_s = rate / len(STEP_KEYS) if rate else 0.0
        started = time.monotonic()
        step = 0
        while time.monotonic() < deadline:
            now = int(time.time() * 1000)
            metrics = [
                Metric(key, 1.0 / (step + 1) + i, now, step)
                for i, key in enumerate(STEP_KEYS)
            ]
            client.log_batch(tally.run_id, metrics=metrics)
            for key in STEP_KEYS:
                tally.count(key)
            if step % 500 == 0:
                client.log_param(tally.run_id, f"p{tally.params}", step)
                tally.params += 1
            step += 1
            if steps_per_s:
                # Pace to the rate; a writer that fell behind does not sleep.
                ahead = started + step / steps_per_s - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        client.set_terminated(tally.run_id)
    except Exception as e:  # a writer's failure is a result, reported by the test
        logger.exception("SDK writer %s failed", tally.writer)
        tally.errors.append(f"{type(e).__name__}: {e}")


# -- API writers -------------------------------------------------------------------


async def api_writers(
    url: str, writers: int, seconds: float, prefix: str, experiment_id: str
) -> list[Tally]:
    """``writers`` MLflow REST clients, each logging its own run for ``seconds``."""
    limits = httpx.Limits(max_connections=writers, max_keepalive_connections=writers)
    async with httpx.AsyncClient(
        base_url=url, timeout=API_TIMEOUT_S, limits=limits
    ) as http:
        deadline = time.monotonic() + seconds
        tallies = [Tally(f"{prefix}-{i}") for i in range(writers)]
        await asyncio.gather(
            *(_api_writer(http, t, experiment_id, deadline) for t in tallies)
        )
    return tallies


async def _api_writer(
    http: httpx.AsyncClient, tally: Tally, experiment_id: str, deadline: float
) -> None:
    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        answer = await http.post(f"{MLFLOW}{path}", json=body)
        tally.request_s.append(time.monotonic() - started)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text}")
        if answer.headers.get(PROJECTION_HEADER) == "pending":
            tally.pending += 1
        found: dict[str, Any] = answer.json()
        return found

    try:
        created = await post(
            "/runs/create",
            {
                "experiment_id": experiment_id,
                "run_name": tally.writer,
                "start_time": int(time.time() * 1000),
            },
        )
        run_id = tally.run_id = created["run"]["info"]["run_id"]
        step = single_step = 0
        request = 0
        while time.monotonic() < deadline:
            request += 1
            now = int(time.time() * 1000)
            if request % 10 == 0:
                key = f"p{tally.params}"
                await post(
                    "/runs/log-parameter", {"run_id": run_id, "key": key, "value": "x"}
                )
                tally.params += 1
            elif request % 5 == 0:
                body = {"run_id": run_id, "key": "single", "value": 1.0}
                await post(
                    "/runs/log-metric", {**body, "step": single_step, "timestamp": now}
                )
                tally.count("single")
                single_step += 1
            else:
                metrics = [
                    {"key": key, "value": float(s), "timestamp": now, "step": s}
                    for s in range(step, step + API_BATCH_STEPS)
                    for key in API_BATCH_KEYS
                ]
                await post("/runs/log-batch", {"run_id": run_id, "metrics": metrics})
                for key in API_BATCH_KEYS:
                    tally.count(key, API_BATCH_STEPS)
                step += API_BATCH_STEPS
        await post("/runs/update", {"run_id": run_id, "status": "FINISHED"})
    except Exception as e:  # a writer's failure is a result, reported by the test
        logger.warning("API writer %s failed: %r", tally.writer, e)
        tally.errors.append(f"{type(e).__name__}: {e}")


# -- readers -----------------------------------------------------------------------


async def api_readers(url: str, readers: int, seconds: float) -> ReadTally:
    """``readers`` dashboards polling runs and downsampled series for ``seconds``."""
    tally = ReadTally()
    async with httpx.AsyncClient(base_url=url, timeout=API_TIMEOUT_S) as http:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_reader(http, tally, deadline, random.Random(i)) for i in range(readers))
        )
    return tally


async def _reader(
    http: httpx.AsyncClient, tally: ReadTally, deadline: float, rng: random.Random
) -> None:
    async def get(path: str, **params: Any) -> Any:
        started = time.monotonic()
        answer = await http.get(path, params=params)
        tally.slowest_s = max(tally.slowest_s, time.monotonic() - started)
        tally.requests += 1
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path} answered {answer.status_code}")
        return answer.json()

    while time.monotonic() < deadline:
        try:
            runs = (await get("/api/v1/runs", limit=100))["runs"]
            if runs:
                run = rng.choice(runs)
                await get(f"/api/v1/runs/{run['run_id']}")
                for key in list(run["metrics"])[:3]:
                    await get(
                        f"/api/v1/runs/{run['run_id']}/metrics/{key}", max_points=500
                    )
        except Exception as e:  # counted, and the dashboard keeps polling
            tally.errors.append(f"{type(e).__name__}: {e}")
        await asyncio.sleep(0.5)


# -- the check ---------------------------------------------------------------------


def unaccounted(url: str, tallies: list[Tally]) -> list[str]:
    """Every difference between what the writers had accepted and what the query
    API answers, per run and key; empty when every point and param is there
    exactly once."""
    problems = []
    with httpx.Client(base_url=url, timeout=API_TIMEOUT_S) as http:
        for tally in tallies:
            if not tally.run_id:
                problems.append(f"{tally.writer}: never started its run")
                continue
            summary = http.get(f"/api/v1/runs/{tally.run_id}/metric-summary")
            run = http.get(f"/api/v1/runs/{tally.run_id}")
            if summary.status_code != 200 or run.status_code != 200:
                problems.append(f"{tally.writer}: run {tally.run_id} not readable")
                continue
            merged = summary.json()["merged"]
            seen = {entry["key"]: entry["points"] for entry in merged}
            if seen != tally.points:
                problems.append(
                    f"{tally.writer} run {tally.run_id}: accepted {tally.points}, "
                    f"the API has {seen}"
                )
            # Writers log steps 0..n-1 of each key once, so the last step names
            # how many distinct points there are: a duplicate would not add one.
            for entry in merged:
                if entry["latest_step"] != entry["points"] - 1:
                    problems.append(
                        f"{tally.writer} {entry['key']}: {entry['points']} points but "
                        f"the last step is {entry['latest_step']}"
                    )
            params = len(run.json()["params"])
            if params != tally.params:
                problems.append(
                    f"{tally.writer}: accepted {tally.params} params, API has {params}"
                )
    return problems


def spawn(
    kind: str, out: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python -m bench.load kind`` writing its tallies to ``out``."""
    command = [sys.executable, "-m", "bench.load", kind, "--out", str(out), *args]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})})


def read_tallies(path: Path) -> list[Tally]:
    return [Tally(**entry) for entry in json.loads(path.read_text())]


def _write(path: Path, found: Any) -> None:
    path.write_text(json.dumps(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    sdk = kinds.add_parser(
        "sdk", help="SDK writer threads, into RUNSTREAM_TRACKING_URI"
    )
    sdk.add_argument("--threads", type=int, default=5)
    sdk.add_argument("--rate", type=float, default=0, help="points/s per writer")
    api = kinds.add_parser("api", help="MLflow REST writers")
    api.add_argument("--writers", type=int, default=50)
    read = kinds.add_parser("read", help="dashboard-like readers")
    read.add_argument("--readers", type=int, default=4)
    for kind in (sdk, api, read):
        kind.add_argument("--seconds", type=float, required=True)
        kind.add_argument("--out", type=Path, required=True)
    for kind in (sdk, api):
        kind.add_argument("--prefix", default="writer")
        kind.add_argument("--experiment-id", default="0")
    for kind in (api, read):
        kind.add_argument("--url", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    if args.kind == "sdk":
        tallies = sdk_writers(
            args.threads, args.seconds, args.rate, args.prefix, args.experiment_id
        )
        _write(args.out, [asdict(t) for t in tallies])
    elif args.kind == "api":
        tallies = asyncio.run(
            api_writers(
                args.url, args.writers, args.seconds, args.prefix, args.experiment_id
            )
        )
        _write(args.out, [asdict(t) for t in tallies])
    else:
        reads = asyncio.run(api_readers(args.url, args.readers, args.seconds))
        _write(args.out, asdict(reads))


if __name__ == "__main__":
    main()
