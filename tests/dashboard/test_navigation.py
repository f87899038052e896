"""Moving between pages with the widgets, and the URL that follows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

import runstream
from runstream.consumers.service import ProjectionService
from runstream.tracking import RunInfo

OpenPage = Callable[..., AppTest]


def click(at: AppTest, label: str) -> AppTest:
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r} among {[b.label for b in at.button]}"
    return buttons[0].click().run()


def test_experiments_to_runs_to_run_and_back(
    api_url: str, finished_run: RunInfo, open_page: OpenPage
) -> None:
    at = open_page()
    assert [t.value for t in at.main.title] == ["Experiments"]
    experiments = at.main.dataframe[0].value
    assert "dash" in list(experiments["Name"])

    at.selectbox(key="experiment_picker").select(finished_run.experiment_id)
    click(at, "Open experiment")
    assert at.query_params == {"experiment": finished_run.experiment_id}
    assert [t.value for t in at.main.title] == ["dash"]
    runs = at.main.dataframe[0].value
    assert list(runs["Run"]) == ["bright-otter"]
    assert list(runs["Status"]) == ["FINISHED"]
    assert list(runs["params.alpha"]) == ["0.5"]
    assert list(runs["metrics.loss"]) == [1.0 / 500]
    assert {"Started", "Duration", "metrics.rank0/loss"} <= set(runs.columns)

    [picker] = [s for s in at.selectbox if s.label == "Run"]
    picker.select(finished_run.run_id)
    click(at, "Open run")
    assert at.query_params == {
        "run": finished_run.run_id,
        "experiment": finished_run.experiment_id,
    }
    assert [t.value for t in at.main.title] == ["bright-otter"]

    click(at, "← Runs of this experiment")
    assert at.query_params == {"experiment": finished_run.experiment_id}
    click(at, "← Experiments")
    assert at.query_params == {}
    assert [t.value for t in at.main.title] == ["Experiments"]


def test_sidebar_shows_health(
    api_url: str, finished_run: RunInfo, open_page: OpenPage
) -> None:
    at = open_page()

    assert ":green-badge[:material/check_circle: ok]" in [
        m.value for m in at.sidebar.markdown
    ]
    health = {m.label: m.value for m in at.sidebar.metric}
    assert health == {"Total lag": "0", "Dead letters": "0"}


def test_an_unreachable_api_gives_a_message_not_a_traceback(
    unreachable_url: str, open_page: OpenPage
) -> None:
    for query in ({}, {"experiment": "1"}, {"run": "abc"}):
        at = open_page(**query)

        assert not at.exception
        [error] = at.main.error
        assert error.value.startswith("The dashboard cannot show this page:")
        assert f"cannot reach the runstream API at {unreachable_url}" in error.value
        assert "RUNSTREAM_API_URL" in error.value
        assert [e.value for e in at.sidebar.error] == ["API unreachable"]


def test_runs_with_the_same_name_open_the_one_picked(
    api_url: str, log_path: Path, service: ProjectionService, open_page: OpenPage
) -> None:
    runstream.set_experiment("twins")
    run_ids: list[str] = []
    for _ in range(2):
        with runstream.start_run(run_name="twin") as run:
            runstream.log_param("seed", len(run_ids))
        run_ids.append(run.info.run_id)
    runstream.flush()
    service.catch_up()
    experiment_id = runstream.set_experiment("twins").experiment_id

    at = open_page(experiment=experiment_id)
    for run_id in run_ids:
        [picker] = [s for s in at.selectbox if s.label == "Run"]
        picker.select(run_id)
        click(at, "Open run")
        assert at.query_params["run"] == run_id
        click(at, "← Runs of this experiment")
