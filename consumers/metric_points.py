"""The metric points of one projector batch, gathered for one insert.

Points go to ClickHouse as Arrow columns with the run id and the metric key as
dictionary columns, which arrive as LowCardinality without the driver building a
dictionary value by value in Python. Decoded columns are machine arrays
(``events/packing.py``), so each event's columns join the batch as numpy views of
their buffers: no point becomes a Python object on its way to the insert. The
latest point of each (run, key) in the batch is worked out here too and written
to ``latest_metrics``, where ClickHouse keeps the largest per key. That replaced a
materialized view that aggregated every point again inside the insert and cost
about as much as the insert itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

# A point's place in time: larger (step, timestamp, value) is later.
Latest = tuple[int, int, float]
# Below this many points an event's latest points are found in plain Python;
# numpy's fixed cost per call is larger than the loop for a handful of points.
VECTOR_MIN_POINTS = 64
# The metrics table's columns as numpy types; run_id and key hold dictionary codes.
COLUMN_TYPES = {
    "run_id": np.int32,
    "key": np.int32,
    "step": np.int64,
    "timestamp": np.int64,
    "value": np.float64,
    "rank": np.int32,
}


class MetricPoints:
    """``MetricsLogged`` payloads of one batch: columns for the metrics table,
    run ids and keys as codes into one dictionary each, and the latest point per
    (run, key) for latest_metrics. Each event adds one chunk per column; the
    chunks are joined once, when the table is built."""

    def __init__(self) -> None:
        self._run_codes: dict[str, int] = {}
        self._key_codes: dict[str, int] = {}
        self._chunks: dict[str, list[np.ndarray]] = {name: [] for name in COLUMN_TYPES}
        self.count = 0
        self.latest: dict[tuple[str, str], Latest] = {}

    def add(self, payload: Mapping[str, Any]) -> None:
        count = len(payload["values"])
        if not count:
            return
        run_id: str = payload["run_id"]
        names: list[str] = payload["names"]
        run_code = self._run_codes.setdefault(run_id, len(self._run_codes))
        codes = [self._key_codes.setdefault(n, len(self._key_codes)) for n in names]
        index = np.asarray(payload["name_index"], dtype=np.int32)
        chunks = self._chunks
        chunks["run_id"].append(np.full(count, run_code, dtype=np.int32))
        chunks["key"].append(np.asarray(codes, dtype=np.int32)[index])
        chunks["step"].append(np.asarray(payload["steps"], dtype=np.int64))
        chunks["timestamp"].append(np.asarray(payload["timestamps"], dtype=np.int64))
        chunks["value"].append(np.asarray(payload["values"], dtype=np.float64))
        chunks["rank"].append(np.full(count, payload.get("rank", 0), dtype=np.int32))
        self.count += count
        if count < VECTOR_MIN_POINTS:
            self._note_latest_few(run_id, names, payload)
        else:
            self._note_latest_many(run_id, names, payload)

    def _note_latest_few(
        self, run_id: str, names: list[str], payload: Mapping[str, Any]
    ) -> None:
        points = zip(
            payload["name_index"],
            payload["steps"],
            payload["timestamps"],
            payload["values"],
            strict=True,
        )
        for index, step, timestamp, value in points:
            self._note(run_id, names[index], (step, timestamp, value))

    def _note_latest_many(
        self, run_id: str, names: list[str], payload: Mapping[str, Any]
    ) -> None:
        index = np.asarray(payload["name_index"], dtype=np.int32)
        steps = np.asarray(payload["steps"], dtype=np.int64)
        timestamps = np.asarray(payload["timestamps"], dtype=np.int64)
        values = np.asarray(payload["values"], dtype=np.float64)
        # lexsort sorts by its last key first: by key, then step, timestamp, value;
        # the last point of each key's run of equal indices is its latest.
        order = np.lexsort((values, timestamps, steps, index))
        ordered = index[order]
        last = order[np.flatnonzero(np.append(ordered[1:] != ordered[:-1], True))]
        for i in last.tolist():
            point = (int(steps[i]), int(timestamps[i]), float(values[i]))
            self._note(run_id, names[index[i]], point)

    def _note(self, run_id: str, key: str, point: Latest) -> None:
        known = self.latest.get((run_id, key))
        if known is None or point > known:
            self.latest[(run_id, key)] = point

    def table(self) -> pa.Table:
        """Every point added, run ids and keys as dictionary columns."""
        columns: dict[str, Any] = {
            name: np.concatenate(self._chunks[name]) if self.count else np.empty(0, t)
            for name, t in COLUMN_TYPES.items()
        }
        columns["run_id"] = _dictionary(columns["run_id"], self._run_codes)
        columns["key"] = _dictionary(columns["key"], self._key_codes)
        return pa.table(columns)

    def latest_columns(self) -> dict[str, list[Any]]:
        """The latest_metrics rows, column by column."""
        return {
            "run_id": [run_id for run_id, _ in self.latest],
            "key": [key for _, key in self.latest],
            "latest": list(self.latest.values()),
        }


def _dictionary(codes: np.ndarray, dictionary: dict[str, int]) -> pa.DictionaryArray:
    # dict keeps insertion order, and codes were handed out in that order.
    return pa.DictionaryArray.from_arrays(
        pa.array(codes), pa.array(list(dictionary), pa.string())
    )
