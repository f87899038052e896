"""The metric points of one projector batch, gathered for one insert.

Points go to ClickHouse as Arrow columns with the run id and the metric key as
dictionary columns, which arrive as LowCardinality without the driver building a
dictionary value by value in Python. The latest point of each (run, key) in the
batch is worked out here too and written to ``latest_metrics``, where ClickHouse
keeps the largest per key. That replaced a materialized view that aggregated every
point again inside the insert and cost about as much as the insert itself.
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


class MetricPoints:
    """``MetricsLogged`` payloads of one batch: columns for the metrics table,
    run ids and keys as codes into one dictionary each, and the latest point per
    (run, key) for latest_metrics. Columns grow by whole lists per event, so a
    batch of many one-point events costs about as little as one large event."""

    def __init__(self) -> None:
        self._run_codes: dict[str, int] = {}
        self._key_codes: dict[str, int] = {}
        self._runs: list[int] = []
        self._keys: list[int] = []
        self._steps: list[int] = []
        self._timestamps: list[int] = []
        self._values: list[float] = []
        self._ranks: list[int] = []
        self.latest: dict[tuple[str, str], Latest] = {}

    @property
    def count(self) -> int:
        return len(self._values)

    def add(self, payload: Mapping[str, Any]) -> None:
        count = len(payload["values"])
        if not count:
            return
        run_id: str = payload["run_id"]
        names: list[str] = payload["names"]
        run_code = self._run_codes.setdefault(run_id, len(self._run_codes))
        codes = [self._key_codes.setdefault(n, len(self._key_codes)) for n in names]
        self._runs.extend([run_code] * count)
        self._keys.extend([codes[i] for i in payload["name_index"]])
        self._steps.extend(payload["steps"])
        self._timestamps.extend(payload["timestamps"])
        self._values.extend(payload["values"])
        self._ranks.extend([payload.get("rank", 0)] * count)
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
        return pa.table(
            {
                "run_id": _dictionary(self._runs, self._run_codes),
                "key": _dictionary(self._keys, self._key_codes),
                "step": pa.array(self._steps, pa.int64()),
                "timestamp": pa.array(self._timestamps, pa.int64()),
                "value": pa.array(self._values, pa.float64()),
                "rank": pa.array(self._ranks, pa.int32()),
            }
        )

    def latest_columns(self) -> dict[str, list[Any]]:
        """The latest_metrics rows, column by column."""
        return {
            "run_id": [run_id for run_id, _ in self.latest],
            "key": [key for _, key in self.latest],
            "latest": list(self.latest.values()),
        }


def _dictionary(codes: list[int], dictionary: dict[str, int]) -> pa.DictionaryArray:
    # dict keeps insertion order, and codes were handed out in that order.
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, pa.int32()), pa.array(list(dictionary), pa.string())
    )
