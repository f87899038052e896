"""The runs table's filter, sort and columns; chart options; artifact previews;
the compare, event-history and health pages; reading a replayed state."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import runstream
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.replay import Replay
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import StateCatalog
from runstream.events import TRACKING_TOPIC, Event, encode
from runstream.log import Record

OpenPage = Callable[..., AppTest]


@pytest.fixture
def two_runs(
    log_path: Path, service: ProjectionService, tmp_path: Path
) -> Iterator[tuple[str, list[str]]]:
    """Two finished runs of experiment "pages" with params, per-rank metrics and
    artifacts to preview; yields the experiment id and the run ids."""
    runstream.set_experiment("pages")
    ids = []
    for i, optimizer in enumerate(("adam", "sgd")):
        with runstream.start_run(run_name=f"run{i}") as run:
            runstream.log_params({"optimizer": optimizer, "lr": 0.1 * (i + 1)})
            for step in range(100):
                runstream.log_metrics(
                    {
                        "loss": (i + 1) / (step + 1),
                        "rank0/acc": step / 100,
                        "rank1/acc": step / 110,
                    },
                    step=step,
                )
            if i == 0:
                _log_previewable(tmp_path)
        ids.append(run.info.run_id)
    runstream.flush()
    service.catch_up()
    yield run.info.experiment_id, ids


def _log_previewable(folder: Path) -> None:
    (folder / "config.json").write_text(json.dumps({"layers": 4}))
    runstream.log_artifact(folder / "config.json")
    frame = pd.DataFrame({"epoch": [1, 2], "loss": [0.5, 0.25]})
    frame.to_csv(folder / "history.csv", index=False)
    runstream.log_artifact(folder / "history.csv", artifact_path="tables")


def plotly_values(values: Any) -> list[float]:
    """A figure's array as a list; Plotly sends numeric arrays base64-encoded."""
    if isinstance(values, dict):
        return np.frombuffer(
            base64.b64decode(values["bdata"]), values["dtype"]
        ).tolist()
    return list(values)


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_the_runs_table_filters_and_sorts_in_the_api(
    api_url: str, two_runs: tuple[str, list[str]], open_page: OpenPage
) -> None:
    experiment_id, _ = two_runs
    at = open_page(experiment=experiment_id)
    assert list(at.main.dataframe[0].value["Run"]) == ["run1", "run0"]

    at.text_input(key=f"run_filter_{experiment_id}").input(
        "params.optimizer = 'adam'"
    ).run()
    assert list(at.main.dataframe[0].value["Run"]) == ["run0"]

    at.text_input(key=f"run_filter_{experiment_id}").input("").run()
    at.selectbox(key=f"run_sort_{experiment_id}").select("metrics.loss").run()
    at.segmented_control(key=f"run_order_{experiment_id}").set_value("asc").run()
    assert list(at.main.dataframe[0].value["Run"]) == ["run0", "run1"]

    at.text_input(key=f"run_filter_{experiment_id}").input("metrics.loss <").run()
    assert not at.exception
    assert at.main.error[0].value.startswith("The filter or sort does not work")

    at.text_input(key=f"run_filter_{experiment_id}").input("params.lr = '9'").run()
    assert "No runs match this filter." in [i.value for i in at.main.info]


def test_the_column_chooser_starts_with_every_param_and_metric(
    api_url: str, two_runs: tuple[str, list[str]], open_page: OpenPage
) -> None:
    experiment_id, _ = two_runs
    at = open_page(experiment=experiment_id)

    chooser = at.multiselect(key=f"run_columns_{experiment_id}")
    assert chooser.value == [
        "params.lr",
        "params.optimizer",
        "metrics.loss",
        "metrics.rank0/acc",
        "metrics.rank1/acc",
    ]
    chooser.set_value(["metrics.loss"]).run()
    assert not at.exception
    assert at.multiselect(key=f"run_columns_{experiment_id}").value == ["metrics.loss"]
    # Nothing is ticked yet, so there is nothing to compare.
    compare = [b for b in at.main.button if b.label.startswith("Compare selected")]
    assert compare[0].disabled


def test_chart_options_redraw_every_chart(
    api_url: str, two_runs: tuple[str, list[str]], open_page: OpenPage
) -> None:
    _, ids = two_runs
    at = open_page(run=ids[0])
    specs = chart_specs(at)
    assert [s["layout"]["title"]["text"] for s in specs] == ["loss", "acc (per rank)"]
    assert [t["name"] for t in specs[1]["data"]] == ["rank0", "rank1"]

    at.segmented_control(key="x_axis").set_value("relative").run()
    at.slider(key="smoothing").set_value(0.6).run()
    at.toggle(key="log_y").set_value(True).run()

    assert not at.exception
    loss = chart_specs(at)[0]
    assert loss["layout"]["xaxis"]["title"]["text"] == "relative time (s)"
    assert loss["layout"]["yaxis"]["type"] == "log"
    assert len(loss["data"]) == 2  # the faint raw line and the smoothed one
    assert min(plotly_values(loss["data"][1]["x"])) >= 0

    at.toggle(key="per_rank").set_value(False).run()
    titles = [s["layout"]["title"]["text"] for s in chart_specs(at)]
    assert titles == ["loss", "rank0/acc", "rank1/acc"]


def test_artifacts_are_previewed_by_kind(
    api_url: str, two_runs: tuple[str, list[str]], open_page: OpenPage
) -> None:
    _, ids = two_runs
    at = open_page(run=ids[0])

    assert at.selectbox(key=f"artifact_preview_{ids[0]}").value == "config.json"
    assert json.loads(at.main.json[0].value) == {"layers": 4}

    at.selectbox(key=f"artifact_preview_{ids[0]}").select("tables/history.csv").run()
    table = [d.value for d in at.main.dataframe if "epoch" in d.value.columns]
    assert list(table[0]["loss"]) == [0.5, 0.25]

    at.selectbox(key=f"artifact_folder_{ids[0]}").select("tables").run()
    assert [m.value for m in at.main.markdown if m.value.startswith("`")] == [
        "`tables/history.csv`"
    ]


def test_the_compare_page_overlays_runs(
    api_url: str, two_runs: tuple[str, list[str]], open_page: OpenPage
) -> None:
    experiment_id, ids = two_runs
    at = open_page(compare=",".join(ids), experiment=experiment_id)

    assert not at.exception
    assert [t.value for t in at.main.title] == ["Compare 2 runs"]
    table = at.main.dataframe[0].value
    assert table.iloc[:, 0].tolist()[:3] == ["status", "params.lr", "params.optimizer"]
    specs = chart_specs(at)
    overlays = [
        s for s in specs if s["data"][0]["type"] == "scatter" and len(s["data"]) == 2
    ]
    assert {s["layout"]["title"]["text"] for s in overlays} >= {"loss"}
    kinds = [s["data"][0]["type"] for s in specs]
    assert "parcoords" in kinds
    scatter = specs[-1]
    assert scatter["layout"]["title"]["text"].endswith("vs lr")
    assert len(plotly_values(scatter["data"][0]["x"])) == 2


def test_the_event_history_lists_positions(
    api_url: str, two_runs: tuple[str, list[str]], open_page: OpenPage
) -> None:
    _, ids = two_runs
    at = open_page(run=ids[0], page="events")

    assert not at.exception
    events = at.main.dataframe[0].value
    assert events["Event"].iloc[0] == "RunStarted"
    assert events["Event"].iloc[-1] == "RunStatusChanged"
    assert all(":" in p for p in events["Position"])
    assert at.main.code[0].value.startswith("runstream replay --until ")


def test_the_health_page_shows_lag_and_states(
    api_url: str, two_runs: tuple[str, list[str]], open_page: OpenPage
) -> None:
    at = open_page(page="health")

    assert not at.exception
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics["Total lag"] == "0"
    assert metrics["Store"] == "ok"
    assert metrics["Blob store"] == "ok"
    assert any(c.value.startswith("Every partition is caught up") for c in at.caption)
    assert not at.get("vega_lite_chart")
    states = [d.value for d in at.main.dataframe if "State" in d.value.columns]
    assert list(states[0]["State"]) == ["live"]


def test_a_replayed_state_is_read_on_every_page(
    api_url: str,
    two_runs: tuple[str, list[str]],
    open_page: OpenPage,
    service: ProjectionService,
    store: ClickHouseStore,
) -> None:
    experiment_id, ids = two_runs
    catalog = StateCatalog(service.store, service.blobs)
    Replay(service, catalog, into="earlier").run()
    try:
        # The live run is renamed after the replay; the state keeps the old name.
        runstream.set_experiment(experiment_id=experiment_id)
        with runstream.start_run(run_name="run2"):
            pass
        runstream.flush()
        service.catch_up()

        at = open_page(experiment=experiment_id)
        assert list(at.main.dataframe[0].value["Run"]) == ["run2", "run1", "run0"]
        at.sidebar.selectbox(key="state_picker").select("earlier").run()
        assert at.query_params["state"] == "earlier"
        assert list(at.main.dataframe[0].value["Run"]) == ["run1", "run0"]
        assert "Reading state **earlier**" in at.sidebar.info[0].value
    finally:
        catalog.drop("earlier")


def test_a_key_several_ranks_wrote_gets_a_line_per_rank(
    api_url: str, log_path: Path, service: ProjectionService, open_page: OpenPage
) -> None:
    with runstream.start_run(run_name="ranks") as run:
        runstream.log_metric("loss", 1.0, step=0)
    runstream.flush()
    rid = run.info.run_id
    points = {
        "run_id": rid,
        "names": ["loss"],
        "name_index": [0],
        "values": [2.0],
        "steps": [0],
        "timestamps": [1],
        "rank": 1,
    }
    event = Event("MetricsLogged", points)
    service.log.append([Record(TRACKING_TOPIC, rid, encode(event))])
    service.catch_up()

    at = open_page(run=rid)
    [loss] = chart_specs(at)
    assert [t["name"] for t in loss["data"]] == ["loss · rank 0", "loss · rank 1"]

    at.toggle(key="per_rank").set_value(False).run()
    [merged] = chart_specs(at)
    assert len(merged["data"]) == 1


def test_system_metrics_are_drawn_only_when_asked(
    api_url: str, log_path: Path, service: ProjectionService, open_page: OpenPage
) -> None:
    with runstream.start_run(run_name="with-system") as run:
        runstream.log_metric("loss", 1.0, step=0)
        runstream.log_metric("system/cpu_utilization_percentage", 50.0, step=0)
    runstream.flush()
    service.catch_up()

    at = open_page(run=run.info.run_id)
    assert [s["layout"]["title"]["text"] for s in chart_specs(at)] == ["loss"]

    at.toggle(key=f"system_{run.info.run_id}").set_value(True).run()
    titles = [s["layout"]["title"]["text"] for s in chart_specs(at)]
    assert titles == ["loss", "system/cpu_utilization_percentage"]
