"""Artifacts: files, folders and objects logged as files, listed and downloaded
back through the query API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import yaml
from PIL import Image

import runstream
from runstream import FileInfo, RunstreamClient
from runstream.errors import InvalidInputError, NotFoundError

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

Sync = Callable[[], None]


def test_every_kind_of_artifact_round_trips(synced: Sync, tmp_path: Path) -> None:
    folder = tmp_path / "outputs"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "nested" / "b.txt").write_text("b")
    single = tmp_path / "notes.md"
    single.write_text("# notes")
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])

    with runstream.start_run() as run:
        runstream.log_artifact(single)
        runstream.log_artifacts(folder, artifact_path="out")
        runstream.log_text("hello", "texts/hello.txt")
        runstream.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        runstream.log_dict({"a": 1}, "config.yaml")
        runstream.log_figure(figure, "plots/line.png")
        runstream.log_figure(go.Figure(go.Scatter(y=[1, 3, 2])), "plots/line.html")
        runstream.log_image(np.zeros((4, 5, 3), dtype=np.uint8), "images/black.png")
        runstream.log_image(np.full((2, 2), 0.5), "images/grey.png")
        runstream.log_table({"x": [1, 2], "y": ["a", "b"]}, "table.json")
    plt.close(figure)
    synced()
    rid = run.info.run_id

    top = runstream.list_artifacts(rid)
    assert [(f.path, f.is_dir) for f in top] == [
        ("config.json", False),
        ("config.yaml", False),
        ("images", True),
        ("notes.md", False),
        ("out", True),
        ("plots", True),
        ("table.json", False),
        ("texts", True),
    ]
    assert runstream.list_artifacts(rid, "out") == [
        FileInfo("out/a.txt", False, 1),
        FileInfo("out/nested", True, None),
    ]

    local = Path(runstream.download_artifacts(rid, "out", dst_path=tmp_path / "dl"))
    assert (local / "nested" / "b.txt").read_text() == "b"
    everything = Path(RunstreamClient().download_artifacts(rid))
    assert json.loads((everything / "config.json").read_text()) == {
        "a": 1,
        "b": [1, 2],
    }
    assert yaml.safe_load((everything / "config.yaml").read_text()) == {"a": 1}
    assert (everything / "plots" / "line.png").read_bytes()[:4] == b"\x89PNG"
    assert "plotly" in (everything / "plots" / "line.html").read_text()
    with Image.open(everything / "images" / "grey.png") as grey:
        assert grey.size == (2, 2) and grey.getpixel((0, 0)) == 128
    assert json.loads((everything / "table.json").read_text()) == {
        "columns": ["x", "y"],
        "data": [[1, "a"], [2, "b"]],
    }
    assert (everything / "texts" / "hello.txt").read_text() == "hello"

    with pytest.raises(NotFoundError, match="no artifact"):
        runstream.download_artifacts(rid, "missing", dst_path=tmp_path / "none")


def test_a_dataframe_logs_as_a_table(synced: Sync) -> None:
    with runstream.start_run() as run:
        runstream.log_table(pd.DataFrame({"q": [0.5]}), "t.json")
    synced()
    path = Path(runstream.download_artifacts(run.info.run_id, "t.json"))
    assert json.loads(path.read_text()) == {"columns": ["q"], "data": [[0.5]]}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: runstream.log_artifacts("/no/such/folder"), "not a folder"),
        (lambda: runstream.log_text("x", "../escape.txt"), "does not leave"),
        (lambda: runstream.log_artifact(__file__, "/etc"), "leading '/'"),
        (lambda: runstream.log_artifacts(Path(__file__).parent, "/etc"), "leading"),
        (lambda: runstream.log_figure(object(), "f.png"), "matplotlib or plotly"),
        (lambda: runstream.log_figure(go.Figure(), "f.png"), "'.html' or '.json'"),
        (lambda: runstream.log_image(np.zeros((2, 2, 7)), "i.png"), "shape"),
        (lambda: runstream.log_image(np.zeros((2, 2)), "i.bmp"), ".png, .jpg"),
        (lambda: runstream.log_table({"a": [1], "b": [1, 2]}, "t.json"), "equal"),
        (lambda: runstream.log_table({"a": [1]}, "t.csv"), ".json"),
    ],
)
def test_bad_artifacts_are_refused(
    log_path: object, call: Callable[[], None], message: str
) -> None:
    with runstream.start_run() as run:
        with pytest.raises(InvalidInputError, match=message) as info:
            call()
    assert run.info.run_id in str(info.value)
