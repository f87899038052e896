"""Searches compiled to SQL and run on chDB against runs the SDK logged."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import pytest

import runstream
from runstream.api.search import search_experiments, search_runs
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService
from runstream.errors import InvalidInputError
from runstream.tracking import experiment_id_for


@pytest.fixture
def five_runs(service: ProjectionService) -> Iterator[list[str]]:
    """Runs r0..r4: acc = 0.1 * i, lr = '0.0i', even ones tagged team=vision;
    r4 has no acc and r3 failed."""
    runstream.set_experiment("search")
    ids = []
    for i in range(5):
        with runstream.start_run(run_name=f"r{i}") as run:
            runstream.log_param("lr", f"0.0{i}")
            if i != 4:
                runstream.log_metric("acc", 0.5, step=0)
                runstream.log_metric("acc", 0.1 * i, step=1)
            runstream.log_metric("val loss", math.nan if i == 2 else i, step=0)
            if i % 2 == 0:
                runstream.set_tag("team", "vision")
            if i == 3:
                runstream.end_run("FAILED")
        ids.append(run.info.run_id)
        # Runs started in one millisecond tie on start_time and fall back to run
        # id order, which is random: the tests expect start order.
        time.sleep(0.002)
    service.catch_up()
    yield ids
    runstream.set_experiment(experiment_id="0")


def names(store: ClickHouseStore, filter_string: str, **kwargs: object) -> list[str]:
    page = search_runs(
        store,
        [experiment_id_for("search")],
        filter_string,
        **kwargs,  # type: ignore[arg-type]
    )
    return [row["run_name"] for row in page.rows]


def test_metric_filters_use_the_latest_value(
    store: ClickHouseStore, five_runs: list[str]
) -> None:
    # Every run logged acc=0.5 at step 0; only the step-1 value counts.
    got = names(store, "metrics.acc >= 0.2", order_by=["metrics.acc DESC"])
    assert got == ["r3", "r2"]
    assert names(store, "metrics.acc < 0.15", order_by=["run_name"]) == ["r0", "r1"]


def test_params_tags_and_attributes(
    store: ClickHouseStore, five_runs: list[str]
) -> None:
    order = {"order_by": ["attributes.run_name ASC"]}
    assert names(store, "params.lr = '0.03'") == ["r3"]
    assert names(store, "params.lr LIKE '0.0%' AND tags.team = 'vision'", **order) == [
        "r0",
        "r2",
        "r4",
    ]
    assert names(store, "tags.team != 'vision'") == []
    assert names(store, "tags.team ILIKE 'VIS%'", **order) == ["r0", "r2", "r4"]
    assert names(store, "attributes.status = 'FAILED'") == ["r3"]
    assert names(store, "status != 'FINISHED'") == ["r3"]
    assert names(store, "run_name IN ('r1', 'r4')", **order) == ["r1", "r4"]
    assert names(store, f"attributes.run_id = '{five_runs[2]}'") == ["r2"]
    assert names(store, "run_id NOT IN ('nope') AND end_time > 0", **order) == [
        f"r{i}" for i in range(5)
    ]
    assert names(store, "tags.`mlflow.runName` = 'r1'") == ["r1"]
    assert names(store, "metrics.`val loss` > 2.5") == ["r3", "r4"] or names(
        store, "metrics.`val loss` > 2.5", **order
    ) == ["r3", "r4"]


def test_default_order_is_newest_first(
    store: ClickHouseStore, five_runs: list[str]
) -> None:
    assert names(store, "") == ["r4", "r3", "r2", "r1", "r0"]


def test_runs_without_the_order_key_come_last(
    store: ClickHouseStore, five_runs: list[str]
) -> None:
    ascending = names(store, "", order_by=["metrics.acc ASC"])
    descending = names(store, "", order_by=["metrics.acc DESC"])
    assert ascending == ["r0", "r1", "r2", "r3", "r4"]
    assert descending == ["r3", "r2", "r1", "r0", "r4"]
    assert names(store, "", order_by=["tags.team DESC", "params.lr DESC"]) == [
        "r4",
        "r2",
        "r0",
        "r3",
        "r1",
    ]


def test_pages_follow_tokens_to_the_end(
    store: ClickHouseStore, five_runs: list[str]
) -> None:
    experiment = [experiment_id_for("search")]
    seen: list[str] = []
    token = None
    while True:
        page = search_runs(
            store, experiment, "", ["run_name"], max_results=2, page_token=token
        )
        seen.extend(row["run_name"] for row in page.rows)
        token = page.next_page_token
        if token is None:
            break
    assert seen == [f"r{i}" for i in range(5)]

    first = search_runs(store, experiment, "", ["run_name"], max_results=2)
    with pytest.raises(InvalidInputError, match="another search"):
        search_runs(store, experiment, "status = 'x'", page_token=first.next_page_token)
    with pytest.raises(InvalidInputError, match="not one this API issued"):
        search_runs(store, experiment, "", page_token="garbage")


def test_deleted_runs_show_only_when_asked(
    store: ClickHouseStore, service: ProjectionService, five_runs: list[str]
) -> None:
    runstream.delete_run(five_runs[0])
    runstream.flush()
    service.catch_up()
    assert "r0" not in names(store, "")
    assert names(store, "", view_type="DELETED_ONLY") == ["r0"]
    assert len(names(store, "", view_type="ALL")) == 5


def test_experiments_search_by_name_and_tag(
    store: ClickHouseStore, service: ProjectionService, log_path: object
) -> None:
    runstream.create_experiment("alpha-1", tags={"team": "vision"})
    runstream.create_experiment("alpha-2")
    runstream.create_experiment("beta")
    runstream.flush()
    service.catch_up()
    page = search_experiments(store, "name LIKE 'alpha%'", ["name DESC"])
    assert [row["name"] for row in page.rows] == ["alpha-2", "alpha-1"]
    page = search_experiments(store, "tags.team = 'vision'")
    assert [row["name"] for row in page.rows] == ["alpha-1"]
