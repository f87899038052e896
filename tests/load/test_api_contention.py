"""What the load test found: ``runs/log-parameter`` held one process-wide lock for
its whole projection wait, so every param write of every run queued behind the
others, and under 50 writers the queued requests used up the server's worker
threads. Param writes of different runs must now wait side by side, while two
values for one run's param still cannot both pass the immutability check."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from runstream.consumers.service import ProjectionService

MLFLOW = "/api/2.0/mlflow"
RUNS = 8
# The consumer is paused, so each write waits this long for its projection.
WAIT_S = 1.0


def _post(url: str, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{url}{MLFLOW}{path}", json=body, timeout=60)


def test_param_writes_of_different_runs_do_not_queue_behind_each_other(
    service: ProjectionService, api_url: str
) -> None:
    service.start()
    run_ids = [
        _post(api_url, "/runs/create", {"experiment_id": "0"}).json()["run"]["info"][
            "run_id"
        ]
        for _ in range(RUNS)
    ]
    service.settings = service.settings.model_copy(update={"write_wait_s": WAIT_S})

    def log_param(run_id: str) -> int:
        body = {"run_id": run_id, "key": "lr", "value": "0.1"}
        return _post(api_url, "/runs/log-parameter", body).status_code

    # With the consumer paused, every write waits out its WAIT_S under the lock.
    with service.paused():
        started = time.monotonic()
        with ThreadPoolExecutor(RUNS) as pool:
            codes = list(pool.map(log_param, run_ids))
        elapsed = time.monotonic() - started

    assert codes == [200] * RUNS
    # Side by side they take one wait; queued, RUNS waits.
    assert elapsed < WAIT_S * RUNS / 2, f"{RUNS} param writes took {elapsed:.1f}s"


def test_two_values_for_one_param_cannot_both_pass(
    service: ProjectionService, api_url: str
) -> None:
    service.start()
    created = _post(api_url, "/runs/create", {"experiment_id": "0"}).json()
    run_id = created["run"]["info"]["run_id"]

    def log_param(value: str) -> int:
        body = {"run_id": run_id, "key": "lr", "value": value}
        return _post(api_url, "/runs/log-parameter", body).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(log_param, ["0.1", "0.2"]))
    assert codes == [200, 400]
