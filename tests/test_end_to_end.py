"""The main job end to end: `runstream server` in its own process, the seed
scikit-learn example in another, and the answer read back through the API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    home = tmp_path_factory.mktemp("home")
    port, ui_port = free_port(), free_port()
    env = {**os.environ, "RUNSTREAM_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runstream.cli", "server",
         "--port", str(port), "--dashboard-port", str(ui_port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{api}/api/v1/health").is_success, 60, "the API")
    yield {"api": api, "home": home, "env": env, "proc": proc, "ui_port": ui_port}
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def test_seed_example_is_visible_through_the_api(server: dict) -> None:
    api = server["api"]
    script = ROOT / "examples" / "sklearn_diabetes.py"
    subprocess.run([sys.executable, str(script)], env=server["env"], check=True,
                   timeout=180)  # fmt: skip
    ended = time.monotonic()

    def finished_run() -> dict | None:
        experiments = httpx.get(f"{api}/api/v1/experiments").json()["experiments"]
        ids = [e["experiment_id"] for e in experiments if e["name"] == "diabetes"]
        if not ids:
            return None
        runs = httpx.get(f"{api}/api/v1/runs", params={"experiment_id": ids[0]})
        done = [r for r in runs.json()["runs"] if r["status"] == "FINISHED"]
        return done[0] if done else None

    listed = wait_until(finished_run, 30, "the diabetes run")
    visible_after = time.monotonic() - ended
    print(f"run visible in the API {visible_after:.2f}s after the script ended")

    run = httpx.get(f"{api}/api/v1/runs/{listed['run_id']}").json()
    assert run["params"]["n_estimators"] == "100"
    assert run["params"]["max_depth"] == "6"
    assert run["params"]["max_features"] == "3"
    assert run["tags"]["estimator_name"] == "RandomForestRegressor"
    metrics = run["metrics"]
    mse = metrics["training_mean_squared_error"]
    assert 0 < mse < 6000
    assert abs(metrics["training_root_mean_squared_error"] ** 2 - mse) < 1e-6 * mse
    assert 0 < metrics["training_mean_absolute_error"] < 100
    assert 0.3 < metrics["training_r2_score"] <= 1
    assert metrics["training_score"] == pytest.approx(metrics["training_r2_score"])

    files = httpx.get(f"{api}/api/v1/runs/{run['run_id']}/artifacts").json()["files"]
    paths = {f["path"] for f in files}
    assert "model/model.pkl" in paths
    model = httpx.get(f"{api}/api/v1/runs/{run['run_id']}/artifacts/model/model.pkl")
    assert model.status_code == 200 and len(model.content) > 1000

    health = httpx.get(f"{api}/api/v1/health").json()
    assert health["status"] == "ok"
    assert health["total_lag"] == 0


def test_root_redirects_and_dashboard_answers(server: dict) -> None:
    api = server["api"]
    root = httpx.get(api + "/", follow_redirects=False)
    assert root.status_code in (302, 307)
    ui = f"http://127.0.0.1:{server['ui_port']}"
    assert root.headers["location"].rstrip("/") == ui
    wait_until(lambda: httpx.get(f"{ui}/_stcore/health").is_success, 60, "dashboard")


def test_ctrl_c_stops_everything(server: dict) -> None:
    proc: subprocess.Popen = server["proc"]  # type: ignore[assignment]
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "runstream server stopped" in output
    ui = f"http://127.0.0.1:{server['ui_port']}/_stcore/health"
    with pytest.raises(httpx.HTTPError):
        httpx.get(ui, timeout=2)
