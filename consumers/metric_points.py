"""The metric points of one projector batch, gathered for one insert.

Points go to ClickHouse as Arrow columns: the metric key becomes a dictionary
column straight from the event's ``names`` and ``name_index``, so no Python loop
runs per point. The latest point of each (run, key) in the batch is worked out
here too, with numpy, and written to ``latest_metrics``; ClickHouse keeps the
largest of those per key. That replaced a materialized view that aggregated every
point again inside the insert and cost about as much as the insert itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

# The columns of the metrics table, in the order each record batch carries them.
COLUMNS = ("run_id", "key", "step", "timestamp", "value", "rank")
# A point's place in time: larger (step, timestamp, value) is later.
Latest = tuple[int, int, float]


class MetricPoints:
    """``MetricsLogged`` payloads of one batch: Arrow record batches for the
    metrics table and the latest point per (run, key) for latest_metrics."""

    def __init__(self) -> None:
        self._batches: list[pa.RecordBatch] = []
        self.latest: dict[tuple[str, str], Latest] = {}
        self.count = 0

    def add(self, payload: Mapping[str, Any]) -> None:
        count = len(payload["values"])
        if not count:
            return
        run_id: str = payload["run_id"]
        names: list[str] = payload["names"]
        index = np.asarray(payload["name_index"], dtype=np.int32)
        steps = np.asarray(payload["steps"], dtype=np.int64)
        timestamps = np.asarray(payload["timestamps"], dtype=np.int64)
        values = np.asarray(payload["values"], dtype=np.float64)
        columns = [
            pa.DictionaryArray.from_arrays(
                np.zeros(count, dtype=np.int32), pa.array([run_id], pa.string())
            ),
            pa.DictionaryArray.from_arrays(index, pa.array(names, pa.string())),
            steps,
            timestamps,
            values,
            np.full(count, payload.get("rank", 0), dtype=np.int32),
        ]
        self._batches.append(pa.record_batch(columns, names=list(COLUMNS)))
        self.count += count
        self._note_latest(run_id, names, index, (steps, timestamps, values))

    def _note_latest(
        self,
        run_id: str,
        names: list[str],
        index: np.ndarray,
        order_columns: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        steps, timestamps, values = order_columns
        # lexsort sorts by its last key first: by key, then step, timestamp, value;
        # the last point of each key's run of equal indices is its latest.
        order = np.lexsort((values, timestamps, steps, index))
        ordered = index[order]
        last = order[np.flatnonzero(np.append(ordered[1:] != ordered[:-1], True))]
        for i in last.tolist():
            point = (int(steps[i]), int(timestamps[i]), float(values[i]))
            key = (run_id, names[index[i]])
            known = self.latest.get(key)
            if known is None or point > known:
                self.latest[key] = point

    def table(self) -> pa.Table:
        """Every point added, as one table whose key column has one dictionary."""
        return pa.Table.from_batches(self._batches).unify_dictionaries()

    def latest_columns(self) -> dict[str, list[Any]]:
        """The latest_metrics rows, column by column."""
        return {
            "run_id": [run_id for run_id, _ in self.latest],
            "key": [key for _, key in self.latest],
            "latest": list(self.latest.values()),
        }
