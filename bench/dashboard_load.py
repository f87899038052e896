"""Dashboard load time for one run with many long metrics.

    .venv/bin/python bench/dashboard_load.py [--keys 500] [--points 1000000]
        [--home DIR] [--charts 12]

1. logs a run through the SDK (so it exists in the log and the projections);
2. fills ClickHouse with ``--keys`` metrics of ``--points`` points each for that
   run, generated inside ClickHouse (writing hundreds of millions of points through
   the log would measure the log, not the dashboard); the data stays in ``--home``
   and a second call with the same ``--home`` reuses it;
3. starts ``runstream server`` on that home and measures the API's answers and, in
   headless Chromium, the run page until every chart is drawn.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import clickhouse_connect
import httpx

import runstream
from runstream.consumers.clickhouse import ClickHouseStore

CHUNK_ROWS = 25_000_000
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_run(home: Path) -> str:
    marker = home / "run_id"
    if marker.exists():
        return marker.read_text().strip()
    runstream.set_tracking_uri(home / "log.sqlite")
    runstream.set_experiment("load")
    with runstream.start_run(run_name="wide-and-long") as run:
        runstream.log_params({"keys": "many", "points": "many"})
    runstream.flush()
    marker.write_text(run.info.run_id)
    return run.info.run_id


def fill(home: Path, run_id: str, keys: int, points: int) -> None:
    """``keys`` x ``points`` rows straight into the projection tables."""
    client = clickhouse_connect.get_client(interface="chdb", path=str(home / "chdb"))
    ClickHouseStore(client, "runstream").create_tables()
    have = client.query(
        "SELECT count() FROM runstream.metrics WHERE run_id = {r:String}",
        parameters={"r": run_id},
    ).result_rows[0][0]
    total = keys * points
    started = time.monotonic()
    for first in range(have, total, CHUNK_ROWS):
        rows = min(CHUNK_ROWS, total - first)
        # Point n belongs to key n % keys at step n // keys: every key grows
        # together, as a training loop logs them.
        client.command(
            "INSERT INTO runstream.metrics (run_id, key, step, timestamp, value) "
            "SELECT {r:String}, "
            f"concat('metric_', leftPad(toString(number % {keys}), 3, '0')), "
            f"intDiv(number, {keys}), 1700000000000 + intDiv(number, {keys}) * 10, "
            f"exp(-intDiv(number, {keys}) / {points / 5}) + (number % {keys}) / 1000"
            " + 0.01 * sin(number)"
            f" FROM numbers({first}, {rows})",
            parameters={"r": run_id},
        )
        done = first + rows
        rate = (done - have) / (time.monotonic() - started)
        print(f"  filled {done:,}/{total:,} points ({rate:,.0f} points/s)", flush=True)
    client.close()


def timed_get(http: httpx.Client, path: str, **params: object) -> float:
    started = time.monotonic()
    answer = http.get(path, params=params)
    answer.raise_for_status()
    return time.monotonic() - started


def measure_api(api: str, run_id: str, charts: int) -> None:
    http = httpx.Client(base_url=f"{api}/api/v1", timeout=600)
    run_s = timed_get(http, f"/runs/{run_id}")
    keys = sorted(http.get(f"/runs/{run_id}").json()["metrics"])
    print(f"API GET /runs/{{id}} ({len(keys)} latest metrics): {run_s:.2f}s")
    one_s = timed_get(http, f"/runs/{run_id}/metrics/{keys[0]}", max_points=1000)
    print(f"API one series, 1,000 of all points: {one_s:.2f}s")
    page = keys[:charts]
    for visit in ("cold", "warm"):
        many_s = timed_get(
            http, "/metrics", run_id=run_id, key=page, max_points=1000, per_rank=True
        )
        print(f"API {len(page)} series in one request, {visit}: {many_s:.2f}s")
    other = keys[charts : 2 * charts]
    other_s = timed_get(http, "/metrics", run_id=run_id, key=other, max_points=1000)
    print(f"API {len(other)} other series, ranks merged, cold: {other_s:.2f}s")
    export_s = timed_get(http, f"/runs/{run_id}/export/metrics", key=keys[0])
    print(f"API full-resolution CSV export of one key: {export_s:.2f}s")


def measure_browser(ui: str, run_id: str, charts: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(600_000)
        # A first visit warms Streamlit's imports, as any visit after the first.
        page.goto(f"{ui}/")
        page.get_by_role("heading", name="Experiments").wait_for()
        for attempt in (1, 2):
            started = time.monotonic()
            page.goto(f"{ui}/?run={run_id}")
            page.get_by_role("heading", name="wide-and-long").wait_for()
            header_s = time.monotonic() - started
            page.wait_for_function(
                "n => document.querySelectorAll("
                "'[data-testid=stPlotlyChart] .main-svg').length >= n",
                arg=charts,
            )
            charts_s = time.monotonic() - started
            print(
                f"browser run page, visit {attempt}: header {header_s:.2f}s, "
                f"{charts} charts drawn {charts_s:.2f}s"
            )
        page.screenshot(path="dashboard-load.png")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--charts", type=int, default=12)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="runstream-load-"))
    home.mkdir(parents=True, exist_ok=True)
    run_id = log_run(home)
    print(f"run {run_id}: {args.keys} keys x {args.points:,} points in {home}")
    fill(home, run_id, args.keys, args.points)

    port, ui_port = free_port(), free_port()
    env = {**os.environ, "RUNSTREAM_HOME": str(home),
           "RUNSTREAM_DASHBOARD_TIMEOUT_S": "600",
           "RUNSTREAM_DASHBOARD_DEFAULT_CHARTS": str(args.charts)}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "runstream.cli", "server", "--port", str(port),
         "--dashboard-port", str(ui_port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    api, ui = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/api/v1/runs/{run_id}").is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        measure_api(api, run_id, args.charts)
        measure_browser(ui, run_id, args.charts)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)


if __name__ == "__main__":
    main()
