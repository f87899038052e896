"""The registry end to end, each part in its own process: `runstream server`, the
seed diabetes example, registration and promotion, `runstream models serve
-m models:/diabetes/Production`, predictions over HTTP, and the history read back
through the API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sklearn.datasets import load_diabetes

from runstream.log import SqliteEventLog
from runstream.registry import RegistryClient, register_model
from runstream.registry.documents import ApiReader
from runstream.registry.writer import LogWriter

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
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


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runstream.cli", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RUNSTREAM_HOME": str(home), "RUNSTREAM_API_URL": api}
    proc = start(["server", "--port", str(port), "--no-dashboard"], env)
    wait_until(lambda: httpx.get(f"{api}/api/v1/health").is_success, 60, "the API")
    yield {"api": api, "home": home, "env": env}
    stop(proc)


def test_train_register_promote_serve_and_read_the_history(
    server: dict[str, Any],
) -> None:
    api, env = server["api"], server["env"]
    script = ROOT / "examples" / "sklearn_diabetes.py"
    subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=180)

    def finished_run_id() -> str | None:
        experiments = httpx.get(f"{api}/api/v1/experiments").json()["experiments"]
        ids = [e["experiment_id"] for e in experiments if e["name"] == "diabetes"]
        runs = httpx.get(f"{api}/api/v1/runs", params={"experiment_id": ids[0]})
        done = [r for r in runs.json()["runs"] if r["status"] == "FINISHED"]
        return done[0]["run_id"] if done else None

    run_id = wait_until(finished_run_id, 60, "the diabetes run")

    # Register and promote as a separate producer: events onto the server's log,
    # reads back through its API.
    log_path = Path(server["home"]) / "log.sqlite"
    writer = LogWriter(lambda: SqliteEventLog(log_path))
    client = RegistryClient(writer, ApiReader(api), wait_s=60, user="e2e")
    version = register_model(f"runs:/{run_id}/model", "diabetes", client=client)
    client.transition_model_version_stage("diabetes", version.version, "Staging")
    client.transition_model_version_stage(
        "diabetes", version.version, "Production", archive_existing_versions=True
    )
    client.set_registered_model_alias("diabetes", "champion", version.version)
    writer.close()

    port = free_port()
    serving = start(
        ["models", "serve", "-m", "models:/diabetes/Production", "-p", str(port)], env
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/ping").is_success, 120, "the model")
        rows = load_diabetes().data[:5].tolist()
        answer = httpx.post(f"{url}/invocations", json={"inputs": rows}, timeout=30)
        assert answer.status_code == 200, answer.text
        predictions = answer.json()["predictions"]
        assert len(predictions) == 5 and all(25 < p < 350 for p in predictions)
        wrong = httpx.post(f"{url}/invocations", json={"nothing": []}, timeout=30)
        assert wrong.status_code == 400
    finally:
        stop(serving)

    history = httpx.get(f"{api}/api/v1/registry/models/diabetes/history").json()
    moves = [(h["kind"], h["from"], h["to"], h["user"]) for h in history["history"]]
    assert moves == [
        ("stage", "None", "Staging", "e2e"),
        ("stage", "Staging", "Production", "e2e"),
        ("alias", None, 1, "e2e"),
    ]
    model = httpx.get(f"{api}/api/v1/registry/models/diabetes").json()
    assert model["versions"][0]["run_id"] == run_id
