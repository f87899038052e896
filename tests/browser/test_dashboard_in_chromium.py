"""The dashboard in a real browser against a live server: the runs page, its
filter, a run's page, a chart that moves while its run logs, the comparison."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Writes one point a tenth of a second for LIVE_S seconds, then ends its run.
LIVE_S = 30
_LIVE_RUN = textwrap.dedent(
    """
    import sys, time, runstream
    runstream.set_tracking_uri(sys.argv[1])
    runstream.set_experiment("browser-live")
    with runstream.start_run(run_name="live-one") as run:
        print(run.info.run_id, flush=True)
        for step in range(int(sys.argv[2]) * 10):
            runstream.log_metric("loss", 1 / (step + 1), step=step)
            runstream.flush()
            time.sleep(0.1)
    """
)


def points_shown(page: Any) -> int:
    """The point count under the first chart ("1,234 points")."""
    captions = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    for caption in captions:
        if match := re.fullmatch(r"([\d,]+) points?", caption.strip()):
            return int(match[1].replace(",", ""))
    return 0


def test_runs_page_filter_and_a_run(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    page.goto(f"{live_server.ui}/?experiment={live_server.experiment_id}")
    page.get_by_role("heading", name="browser").wait_for()
    page.locator('[data-testid="stDataFrame"]').wait_for()
    page.get_by_text("3 runs;").wait_for()
    page.screenshot(path=screenshots / "1-runs.png", full_page=True)

    box = page.get_by_label("Filter runs", exact=True).and_(page.locator("input"))
    box.fill("params.optimizer = 'adam'")
    box.press("Enter")
    page.get_by_text("1 run matching the filter").wait_for()
    page.screenshot(path=screenshots / "2-runs-filtered.png", full_page=True)

    page.get_by_role("button", name="Open run").click()
    page.get_by_role("heading", name="run-adam-0").wait_for()
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    page.get_by_text("300 points").first.wait_for()
    assert f"run={live_server.run_ids[0]}" in page.url
    page.screenshot(path=screenshots / "3-run.png", full_page=True)


def test_a_chart_moves_while_its_run_logs(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", _LIVE_RUN, str(live_server.home / "log.sqlite"),
         str(LIVE_S)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout is not None
        run_id = writer.stdout.readline().strip()
        page.goto(f"{live_server.ui}/?run={run_id}")
        page.get_by_text("Live: refreshing every 1 s").wait_for()
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
            ".some(c => /^[\\d,]+ points?$/.test(c.innerText.trim()))"
        )
        first = points_shown(page)
        page.screenshot(path=screenshots / "4-live-before.png", full_page=True)

        # The page is not reloaded: the live fragment redraws the chart by itself.
        page.wait_for_function(
            "n => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
            ".some(c => { const m = c.innerText.trim().match(/^([\\d,]+) points?$/);"
            " return m && parseInt(m[1].replace(/,/g, '')) >= n + 20; })",
            arg=first,
        )
        later = points_shown(page)
        page.screenshot(path=screenshots / "5-live-after.png", full_page=True)
        assert later >= first + 20
    finally:
        writer.kill()
        writer.wait(10)


def test_two_ticked_runs_open_the_comparison(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    page.goto(f"{live_server.ui}/?experiment={live_server.experiment_id}")
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.wait_for()
    page.get_by_text("3 runs;").wait_for()

    # The table is a canvas: tick the first two rows by their row markers.
    box = grid.bounding_box()
    assert box is not None
    header, row = 35, 35
    for index in (0, 1):
        y = box["y"] + header + row * index + row / 2
        page.mouse.click(box["x"] + 18, y)
        page.get_by_role("button", name=f"Compare selected ({index + 1})").wait_for()
    page.screenshot(path=screenshots / "6-runs-selected.png", full_page=True)

    page.get_by_role("button", name="Compare selected (2)").click()
    page.get_by_role("heading", name="Compare 2 runs").wait_for()
    page.locator('[data-testid="stPlotlyChart"]').nth(3).wait_for()
    page.wait_for_timeout(1000)  # let Plotly finish drawing for the screenshot
    assert "compare=" in page.url
    page.screenshot(path=screenshots / "7-compare.png", full_page=True)
    # Streamlit scrolls inside the page, so the lower half needs its own picture.
    parallel = page.locator('[data-testid="stPlotlyChart"]').nth(2)
    parallel.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "8-compare-params.png")


def test_the_run_link_mlflow_prints_opens_that_run(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    # What the mlflow client prints after a run: "View run at <uri>/#/experiments/
    # <id>/runs/<id>", the address of a page of MLflow's web UI.
    run_id = live_server.run_ids[1]
    page.goto(
        f"{live_server.api}/#/experiments/{live_server.experiment_id}/runs/{run_id}"
    )
    page.get_by_role("heading", name="run-sgd-1").wait_for()
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    page.get_by_text("Duration").wait_for()
    assert page.url.startswith(live_server.ui)
    assert f"run={run_id}" in page.url
    page.screenshot(path=screenshots / "6-from-an-mlflow-link.png", full_page=True)

    page.goto(f"{live_server.api}/#/experiments/{live_server.experiment_id}")
    page.get_by_role("heading", name="browser").wait_for()
    assert f"experiment={live_server.experiment_id}" in page.url
