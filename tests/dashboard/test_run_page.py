"""The run page, opened by its URL, against a live query API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from live_api import serve_app
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

import runstream
from runstream.api.app import create_app
from runstream.auth import Role, TokenTable
from runstream.consumers.service import ProjectionService
from runstream.dashboard.client import ApiClient, ApiRequestError
from runstream.tracking import RunInfo

# What the ``open_page`` fixture returns: call it with query parameters.
OpenPage = Callable[..., AppTest]


def chart_titles(at: AppTest) -> list[str]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [spec["layout"]["title"]["text"] for spec in specs]


def captions(at: AppTest) -> list[str]:
    return [caption.value for caption in at.main.caption]


def key_values(at: AppTest, index: int) -> dict[str, str]:
    table = at.main.dataframe[index].value
    return dict(zip(table["Key"], table["Value"], strict=True))


def test_run_page_shows_header_params_tags_and_charts(
    api_url: str, finished_run: RunInfo, open_page: OpenPage
) -> None:
    at = open_page(run=finished_run.run_id)

    assert not at.exception
    assert [title.value for title in at.main.title] == ["bright-otter"]
    assert ":green-badge[FINISHED]" in [m.value for m in at.main.markdown]
    assert key_values(at, 0) == {"alpha": "0.5", "optimizer": "adam"}
    assert key_values(at, 1)["team"] == "vision"
    # The per-rank key keeps its slash all the way to the API and back.
    assert chart_titles(at) == ["loss", "rank0/loss"]
    assert {"500 points", "5 points"} <= set(captions(at))
    assert not any(c.startswith("Live:") for c in captions(at))


def test_long_series_say_they_are_downsampled(
    api_url: str,
    finished_run: RunInfo,
    open_page: OpenPage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNSTREAM_DASHBOARD_MAX_POINTS", "100")

    at = open_page(run=finished_run.run_id)

    downsampled = [c for c in captions(at) if c.endswith("(downsampled)")]
    assert len(downsampled) == 1
    assert re.fullmatch(r"\d+ of 500 points \(downsampled\)", downsampled[0])
    shown = int(downsampled[0].split()[0])
    assert 2 <= shown <= 100


def test_x_axis_switches_to_time(
    api_url: str, finished_run: RunInfo, open_page: OpenPage
) -> None:
    at = open_page(run=finished_run.run_id)

    at.segmented_control(key="x_axis").set_value("timestamp").run()

    assert not at.exception
    for chart in at.get("plotly_chart"):
        layout = json.loads(chart.proto.spec)["layout"]
        assert layout["xaxis"]["title"]["text"] == "time"


def test_artifacts_are_listed_with_a_download_button(
    api_url: str, finished_run: RunInfo, open_page: OpenPage
) -> None:
    at = open_page(run=finished_run.run_id)

    assert "`docs/notes.txt`" in [m.value for m in at.main.markdown]
    assert [b.label for b in at.main.download_button] == ["Download"]
    assert [s.value for s in at.main.subheader][-1] == "Artifacts (1)"


def test_many_metric_keys_draw_only_a_selection(
    api_url: str, log_path: Path, service: ProjectionService, open_page: OpenPage
) -> None:
    runstream.set_experiment("wide")
    with runstream.start_run(run_name="wide-run") as run:
        for step in range(3):
            runstream.log_metrics({f"layer{i:02d}/grad": i + step for i in range(40)})
            runstream.log_metric("accuracy", 0.5 + step / 10, step=step)
    runstream.flush()
    service.catch_up()

    at = open_page(run=run.info.run_id)
    assert len(at.get("plotly_chart")) == 12

    at.text_input(key=f"chart_filter_{run.info.run_id}").input("acc").run()
    assert chart_titles(at) == ["accuracy"]

    picker = at.multiselect(key=f"chart_keys_{run.info.run_id}")
    picker.set_value(["layer07/grad", "layer39/grad"]).run()
    assert chart_titles(at) == ["layer07/grad", "layer39/grad"]


def test_a_running_run_refreshes_until_it_ends(
    api_url: str, log_path: Path, service: ProjectionService, open_page: OpenPage
) -> None:
    runstream.set_experiment("live")
    run = runstream.start_run(run_name="still-going")
    runstream.log_metric("loss", 1.0, step=0)
    runstream.flush()
    service.catch_up()

    at = open_page(run=run.info.run_id)
    assert ":blue-badge[RUNNING]" in [m.value for m in at.main.markdown]
    assert "Live: refreshing every 2 s while the run is RUNNING." in captions(at)

    runstream.log_metric("loss", 0.5, step=1)
    runstream.end_run()
    service.catch_up()
    at.run()

    assert ":green-badge[FINISHED]" in [m.value for m in at.main.markdown]
    assert not any(c.startswith("Live:") for c in captions(at))
    assert "2 points" in captions(at)


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ({"run": "no-such-run"}, "run 'no-such-run' not found"),
        ({"experiment": "123456"}, "experiment '123456' not found"),
    ],
)
def test_unknown_run_or_experiment_says_so(
    api_url: str,
    service: ProjectionService,
    open_page: OpenPage,
    query: dict[str, str],
    notice: str,
) -> None:
    at = open_page(**query)

    assert not at.exception
    assert notice in at.main.warning[0].value
    assert "Back to experiments" in [b.label for b in at.main.button]


def test_with_tokens_on_exports_download_through_the_dashboard(
    api_url: str,
    finished_run: RunInfo,
    service: ProjectionService,
    open_page: OpenPage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A browser link would reach the API without a token and get 401, so the
    dashboard fetches the export with its own token when the button is clicked."""
    token = "dashboard-read-token-0123456789"
    tokens = TokenTable().with_token(token, Role.READ, "dashboard")
    with serve_app(create_app(service, tokens=tokens)) as url:
        monkeypatch.setenv("RUNSTREAM_API_URL", url)
        monkeypatch.setenv("RUNSTREAM_TOKEN", token)
        at = open_page(run=finished_run.run_id)
        labels = [b.label for b in at.main.download_button]
        assert labels == ["Export CSV", "Export Parquet", "Download"]

        exported = ApiClient(url, token=SecretStr(token)).export_bytes(
            finished_run.run_id, "csv"
        )
        assert exported.splitlines()[0] == b'"key","step","timestamp","value"'
        with pytest.raises(ApiRequestError, match="401"):
            ApiClient(url).export_bytes(finished_run.run_id, "csv")
