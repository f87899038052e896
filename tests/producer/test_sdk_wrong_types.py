"""Arguments of the wrong type: every public logging call refuses them with an
InvalidInputError that names the call, the argument and the type it got, and a
refused call logs nothing. What MLflow takes of another type is still taken."""

from __future__ import annotations

import datetime
import decimal
import json
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pytest
import yaml

import runstream
from runstream import Metric, Param, RunstreamClient, RunTag
from runstream.errors import InvalidInputError

Sync = Callable[[], None]
Call = Callable[[], object]

RUN_ID = "0123456789abcdef0123456789abcdef"


# Each case: the call, then the parts its message must hold (the call's name,
# the argument, the type received).
FLUENT = [
    (lambda: runstream.log_params([1, 2]), ["log_params", "params", "got list"]),
    (lambda: runstream.log_params(None), ["log_params", "got NoneType"]),
    (lambda: runstream.log_params("lr"), ["log_params", "got str"]),
    (lambda: runstream.log_metrics("loss"), ["log_metrics", "metrics", "got str"]),
    (lambda: runstream.log_metrics([("a", 1.0)]), ["log_metrics", "got list"]),
    (lambda: runstream.log_metrics({"a"}), ["log_metrics", "got set"]),
    (lambda: runstream.log_metrics(None), ["log_metrics", "got NoneType"]),
    (lambda: runstream.log_metric(1, 1.0), ["metric key 1", "got int"]),
    (lambda: runstream.log_metric("m", "high"), ["got str", "must be numbers"]),
    (lambda: runstream.log_metric("m", np.zeros(2)), ["got ndarray", "numbers"]),
    (lambda: runstream.log_metric("m", 1j), ["got complex", "numbers"]),
    (lambda: runstream.log_metric("m", 1.0, step="1"), ["step '1'", "got str"]),
    (lambda: runstream.log_metrics({"m": 1.0}, step=1.5), ["int64", "got float"]),
    (lambda: runstream.log_metric("m", 1.0, run_id=7), ["run id 7", "got int"]),
    (lambda: runstream.set_tags(["a"]), ["set_tags", "tags", "got list"]),
    (lambda: runstream.set_tags("a"), ["set_tags", "got str"]),
    (lambda: runstream.set_tag(None, "v"), ["tag key None", "got NoneType"]),
    (lambda: runstream.log_text(123, "n.txt"), ["log_text", "text", "got int"]),
    (lambda: runstream.log_text(b"x", "n.txt"), ["got bytes", "decode"]),
    (lambda: runstream.log_text("x", 5), ["log_text", "artifact_file", "got int"]),
    (lambda: runstream.log_dict("{}", "d.json"), ["log_dict", "dictionary", "str"]),
    (lambda: runstream.log_dict(5, "d.json"), ["log_dict", "got int"]),
    (lambda: runstream.log_dict({}, None), ["log_dict", "artifact_file"]),
    (lambda: runstream.log_artifact(5), ["log_artifact", "local_path", "got int"]),
    (lambda: runstream.log_artifact(__file__, 5), ["artifact_path", "got int"]),
    (lambda: runstream.log_artifacts(None), ["log_artifacts", "local_dir"]),
    (lambda: runstream.log_artifacts(".", ["x"]), ["artifact_path", "got list"]),
    (lambda: runstream.log_figure(object(), "f.png"), ["log_figure", "figure"]),
    (lambda: runstream.log_figure(object(), 5), ["log_figure", "artifact_file"]),
    (lambda: runstream.log_image("abc", "i.png"), ["log_image", "image", "str"]),
    (lambda: runstream.log_image(object(), "i.png"), ["log_image", "got object"]),
    (lambda: runstream.log_image([[1], [1, 2]], "i.png"), ["log_image", "list"]),
    (lambda: runstream.log_image(np.zeros((2, 2)), 5), ["log_image", "int"]),
    (lambda: runstream.log_table(5, "t.json"), ["log_table", "data", "got int"]),
    (lambda: runstream.log_table({"a": [1]}, 5), ["log_table", "artifact_file"]),
    (lambda: runstream.log_batch(metrics={"m": 1.0}), ["metrics", "got dict"]),
    (lambda: runstream.log_batch(params={"p": 1}), ["params", "got dict"]),
    (lambda: runstream.log_batch(tags="t"), ["tags", "got str"]),
    (
        lambda: runstream.log_batch(metrics=[Metric("m", 1.0, 0), ("m", 1.0, 0)]),
        ["log_batch", "metrics[1]", "got tuple"],
    ),
    (lambda: runstream.log_batch(params=[Param("p", "1"), "p"]), ["params[1]"]),
]


@pytest.mark.parametrize(("call", "parts"), FLUENT)
def test_fluent_calls_name_the_wrong_type(
    log_path: Path, call: Call, parts: list[str]
) -> None:
    with runstream.start_run():
        with pytest.raises(InvalidInputError) as info:
            call()
    for part in parts:
        assert part in str(info.value)


CLIENT = [
    (lambda c: c.log_metric(5, "m", 1.0), ["run id 5", "got int"]),
    (lambda c: c.log_param(None, "p", 1), ["run id None", "got NoneType"]),
    (lambda c: c.set_tag(["r"], "t", 1), ["run id ['r']", "got list"]),
    (lambda c: c.log_batch(7, [Metric("m", 1.0, 0)]), ["run id 7"]),
    (lambda c: c.delete_tag(7, "t"), ["run id 7"]),
    (lambda c: c.set_terminated(7), ["run id 7"]),
    (lambda c: c.update_run(7, name="n"), ["run id 7"]),
    (lambda c: c.log_text(7, "x", "x.txt"), ["run id 7"]),
    (lambda c: c.log_text(RUN_ID, 5, "x.txt"), ["log_text", "text", "got int"]),
    (lambda c: c.log_dict(RUN_ID, 5, "x.json"), ["log_dict", "got int"]),
    (lambda c: c.log_artifact(RUN_ID, 5), ["log_artifact", "local_path"]),
    (lambda c: c.log_image(RUN_ID, "x", "i.png"), ["log_image", "got str"]),
    (lambda c: c.create_run("0", tags=["a"]), ["create_run", "tags", "got list"]),
    (lambda c: c.create_run(["0"]), ["experiment id ['0']", "got list"]),
    (lambda c: c.create_run("0", run_name="r", start_time="now"), ["got str"]),
    (lambda c: c.create_experiment(5), ["experiment name 5", "got int"]),
    (lambda c: c.create_experiment("e", tags=["a"]), ["create_experiment", "tags"]),
    (
        lambda c: c.create_experiment("e", artifact_location=5),
        ["create_experiment", "artifact_location", "got int"],
    ),
    (lambda c: c.set_experiment_tag("0", 5, "v"), ["tag key 5", "got int"]),
]


@pytest.mark.parametrize(("call", "parts"), CLIENT)
def test_client_calls_name_the_wrong_type(
    log_path: Path, call: Callable[[RunstreamClient], object], parts: list[str]
) -> None:
    with pytest.raises(InvalidInputError) as info:
        call(RunstreamClient())
    for part in parts:
        assert part in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "parts"),
    [
        ({"tags": ["a"]}, ["start_run", "tags", "got list"]),
        ({"tags": "a=1"}, ["start_run", "tags", "got str"]),
        ({"tags": {"": "v"}}, ["tag key ''"]),
        ({"experiment_id": [1]}, ["experiment id [1]", "got list"]),
        ({"parent_run_id": 5}, ["run id 5", "got int"]),
        ({"run_id": RUN_ID, "tags": ["a"]}, ["start_run", "got list"]),
    ],
)
def test_a_refused_start_run_starts_nothing(
    log_path: Path, kwargs: dict[str, object], parts: list[str]
) -> None:
    with pytest.raises(InvalidInputError) as info:
        runstream.start_run(**kwargs)  # type: ignore[arg-type]
    for part in parts:
        assert part in str(info.value)
    assert runstream.active_run() is None


@pytest.mark.parametrize(
    ("experiment", "parts"),
    [
        ({"experiment_id": [5]}, ["experiment id [5]", "got list"]),
        ({"experiment_id": 1.5}, ["got float"]),
        ({"experiment_name": 5}, ["experiment name 5", "got int"]),
    ],
)
def test_set_experiment_names_the_wrong_type(
    experiment: dict[str, object], parts: list[str]
) -> None:
    with pytest.raises(InvalidInputError) as info:
        runstream.set_experiment(**experiment)  # type: ignore[arg-type]
    for part in parts:
        assert part in str(info.value)


@pytest.mark.parametrize(
    ("dictionary", "artifact_file", "parts"),
    [
        ({"a": object()}, "d.json", ["dictionary['a'] is object", "convert it"]),
        ({"a": {"b": [1, object()]}}, "d.json", ["dictionary['a']['b'][1]"]),
        ({"f": lambda: 1}, "d.json", ["dictionary['f'] is function"]),
        ({"a": object()}, "d.yaml", ["dictionary['a'] is object"]),
        ([{"ok": 1}, {"no": object()}], "d.yml", ["dictionary[1]['no']"]),
        ({(1, 2): 3}, "d.json", ["key tuple (1, 2)", "JSON keys"]),
    ],
)
def test_log_dict_names_where_a_value_cannot_be_written(
    log_path: Path, dictionary: object, artifact_file: str, parts: list[str]
) -> None:
    with runstream.start_run() as run:
        with pytest.raises(InvalidInputError) as info:
            runstream.log_dict(dictionary, artifact_file)  # type: ignore[arg-type]
    message = str(info.value)
    assert run.info.run_id in message and repr(artifact_file) in message
    for part in parts:
        assert part in message


def test_log_dict_names_a_cycle(log_path: Path) -> None:
    looped: dict[str, object] = {"a": 1}
    looped["self"] = looped
    with runstream.start_run():
        with pytest.raises(InvalidInputError, match=r"\['self'\] contains itself"):
            runstream.log_dict(looped, "d.json")


def test_refused_calls_log_nothing_and_later_calls_still_land(
    synced: Sync, tmp_path: Path
) -> None:
    client = RunstreamClient()
    refused: list[Call] = [
        lambda: runstream.start_run(tags=["a"]),
        lambda: runstream.start_run(run_name="x", tags={"ok": 1, "": 2}),
        lambda: client.create_run("0", tags={"ok": 1, "bad!": 2}),
        lambda: client.create_experiment("never", tags=["a"]),
        lambda: client.create_experiment("never", tags={"ok": 1, "": 2}),
    ]
    for call in refused:
        with pytest.raises(InvalidInputError):
            call()
    with runstream.start_run(tags={"kept": "yes"}) as run:
        rid = run.info.run_id
        refused = [
            lambda: runstream.log_metrics({"half": 1.0, "other": "x"}),
            lambda: runstream.log_params({"half": 1, 2: 3}),
            lambda: runstream.set_tags({"half": 1, None: 2}),
            lambda: runstream.log_batch(
                metrics=[Metric("half", 1.0, 1)],
                params=[Param("half", "1"), ("p", "1")],
            ),
            lambda: runstream.log_batch(
                metrics=[Metric("half", 1.0, 1)], tags=[RunTag("half", "1"), 5]
            ),
            lambda: runstream.log_dict({"half": object()}, "half.json"),
            # A run id of the wrong type would stop the sender on its own thread.
            lambda: client.log_metric(5, "half", 1.0),
            lambda: client.log_param(None, "half", 1),
        ]
        for call in refused:
            with pytest.raises(InvalidInputError):
                call()
        runstream.log_metric("after", 1.0)
    synced()

    runs = client.search_runs(["0"])
    assert [r.info.run_id for r in runs] == [rid]
    got = client.get_run(rid)
    assert got.data.metrics == {"after": 1.0}
    assert got.data.params == {}
    assert got.data.tags["kept"] == "yes"
    assert not any(key in got.data.tags for key in ("half", "ok"))
    assert runstream.list_artifacts(rid) == []
    assert runstream.get_experiment_by_name("never") is None


def test_what_mlflow_takes_of_another_type_is_still_taken(
    synced: Sync, tmp_path: Path
) -> None:
    runstream.set_experiment(experiment_id=0)
    with runstream.start_run(run_name=7, description=42) as run:
        rid = run.info.run_id
        runstream.log_metric("f32", np.float32(0.5))
        runstream.log_metric("zero_d", np.array(1.5))
        runstream.log_metric("one_element", np.array([2.5]))
        runstream.log_metric("decimal", decimal.Decimal("3.5"))
        runstream.log_metrics(pd.Series({"series": 4.5}))
        runstream.log_params(pd.Series({"from_series": 1}))
        runstream.log_param("anything", object)
        runstream.log_batch(metrics=(m for m in [Metric("gen", 5.5, 0)]))
        runstream.log_dict([1, 2], "list.json")
        runstream.log_dict(
            {"when": datetime.date(2024, 1, 2), "n": np.int64(3), "x": 0.25},
            PurePosixPath("conf/d.json"),
        )
        runstream.log_dict({"n": np.float64(0.5), "t": (1, 2)}, "conf/d.yaml")
        runstream.log_text("hi", Path("notes.txt"))
    synced()

    got = runstream.get_run(rid)
    assert got.info.experiment_id == "0"
    assert got.info.run_name == "7"
    assert got.data.tags["mlflow.note.content"] == "42"
    assert got.data.metrics == {
        "f32": 0.5,
        "zero_d": 1.5,
        "one_element": 2.5,
        "decimal": 3.5,
        "series": 4.5,
        "gen": 5.5,
    }
    assert got.data.params == {"from_series": "1", "anything": str(object)}
    files = Path(runstream.download_artifacts(rid, dst_path=tmp_path / "dl"))
    assert json.loads((files / "list.json").read_text()) == [1, 2]
    # As MLflow writes them: what JSON has no type for, as its str().
    assert json.loads((files / "conf" / "d.json").read_text()) == {
        "when": "2024-01-02",
        "n": "3",
        "x": 0.25,
    }
    assert yaml.safe_load((files / "conf" / "d.yaml").read_text()) == {
        "n": 0.5,
        "t": [1, 2],
    }
    assert (files / "notes.txt").read_text() == "hi"
