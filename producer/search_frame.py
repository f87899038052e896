"""Runs as a pandas DataFrame, in the shape ``mlflow.search_runs`` gives.

One row per run: ``run_id``, ``experiment_id``, ``status``, ``artifact_uri``,
``start_time`` and ``end_time`` (UTC datetimes), then ``metrics.<key>``,
``params.<key>`` and ``tags.<key>`` columns, each sorted by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runstream.entities import Run

if TYPE_CHECKING:
    import pandas as pd

INFO_COLUMNS = (
    "run_id",
    "experiment_id",
    "status",
    "artifact_uri",
    "start_time",
    "end_time",
)


def runs_frame(runs: Sequence[Run]) -> pd.DataFrame:
    import pandas as pd

    metric_keys = sorted({k for r in runs for k in r.data.metrics})
    param_keys = sorted({k for r in runs for k in r.data.params})
    tag_keys = sorted({k for r in runs for k in r.data.tags})
    columns: dict[str, list[Any]] = {name: [] for name in INFO_COLUMNS}
    columns["run_name"] = []
    for prefix, keys in (
        ("metrics", metric_keys),
        ("params", param_keys),
        ("tags", tag_keys),
    ):
        for key in keys:
            columns[f"{prefix}.{key}"] = []

    for run in runs:
        info = run.info
        for name in INFO_COLUMNS:
            columns[name].append(getattr(info, name))
        columns["run_name"].append(info.run_name)
        for key in metric_keys:
            columns[f"metrics.{key}"].append(run.data.metrics.get(key))
        for key in param_keys:
            columns[f"params.{key}"].append(run.data.params.get(key))
        for key in tag_keys:
            columns[f"tags.{key}"].append(run.data.tags.get(key))

    frame = pd.DataFrame(columns)
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True)
    for key in metric_keys:
        frame[f"metrics.{key}"] = frame[f"metrics.{key}"].astype("float64")
    return frame
