"""A live ``runstream server`` with data, and headless Chromium driven by Playwright.

The browser is Debian's ``chromium`` package (``apt-get install -y chromium``)
and Playwright for Python without its own browsers; ``.ci/run`` installs both.
Screenshots go to ``$RUNSTREAM_TEST_ARTIFACTS/browser`` (default
``test-artifacts/browser`` at the repository root).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import runstream

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class LiveServer:
    api: str
    ui: str
    home: Path
    env: dict[str, str]
    experiment_id: str
    run_ids: list[str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout_s}s")


@pytest.fixture(scope="session")
def screenshots() -> Path:
    base = Path(os.environ.get("RUNSTREAM_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    folder = base / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _log_runs(home: Path) -> tuple[str, list[str]]:
    """Three finished runs of experiment "browser" with params and metrics."""
    runstream.set_tracking_uri(home / "log.sqlite")
    runstream.set_experiment("browser")
    ids = []
    for i, optimizer in enumerate(("adam", "sgd", "sgd")):
        with runstream.start_run(run_name=f"run-{optimizer}-{i}") as run:
            runstream.log_params({"optimizer": optimizer, "lr": 0.01 * (i + 1)})
            for step in range(300):
                runstream.log_metrics(
                    {"loss": (i + 1) / (step + 1), "accuracy": 1 - 1 / (step + 2)},
                    step=step,
                )
        ids.append(run.info.run_id)
    runstream.flush()
    runstream.set_experiment(experiment_id="0")
    return run.info.experiment_id, ids


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("browser-home")
    experiment_id, run_ids = _log_runs(home)
    port, ui_port = free_port(), free_port()
    env = {
        **os.environ,
        "RUNSTREAM_HOME": str(home),
        "RUNSTREAM_DASHBOARD_REFRESH_S": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "runstream.cli", "server",
         "--port", str(port), "--dashboard-port", str(ui_port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    api, ui = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}"
    try:
        wait_for(f"{api}/api/v1/runs/{run_ids[-1]}", 60)
        wait_for(f"{ui}/_stcore/health", 60)
        yield LiveServer(api, ui, home, env, experiment_id, run_ids)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # CI provisions both (.ci/run), so there a missing one is a failure.
    give_up = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    try:
        from playwright import sync_api
    except ImportError:
        give_up("Playwright is missing: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        give_up(f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(
    browser: Any, request: pytest.FixtureRequest, screenshots: Path
) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    # What the browser showed when a test failed is the best clue to why.
    if request.node.stash.get(_FAILED, False):
        page.screenshot(path=screenshots / f"FAILED-{request.node.name}.png")
    context.close()
