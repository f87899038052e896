"""``GET /api/v1/runs/{run_id}/export/metrics``: every point, as CSV or Parquet.

Charts get downsampled series; this is the one way to the full resolution. It
streams one metric key at a time, so a run with hundreds of long metrics is
never held whole in memory, nor the store held for the whole download.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, Literal

import pyarrow.parquet as pq
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from runstream.api import queries
from runstream.api.deps import StateDep, run_not_found
from runstream.api.metric_queries import export_arrow, export_csv, metric_keys
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.errors import InvalidInputError

logger = logging.getLogger(__name__)

router = APIRouter(tags=["metrics"])

MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@router.get(
    "/runs/{run_id}/export/metrics",
    response_class=StreamingResponse,
    responses={
        200: {"content": {t: {} for t in MEDIA_TYPES.values()}},
        404: {"description": "unknown run"},
    },
)
def export_metrics(
    state: StateDep,
    run_id: str,
    key: Annotated[
        list[str] | None, Query(description="repeat for several; all if omitted")
    ] = None,
    format: Annotated[Literal["csv", "parquet"], Query()] = "csv",
) -> StreamingResponse:
    """Every point of the run's metrics (columns key, step, timestamp, value),
    sorted by key, then step and timestamp."""
    if queries.get_run(state.store, run_id) is None:
        raise run_not_found(run_id)
    known = metric_keys(state.store, run_id)
    keys = sorted(set(key)) if key else known
    missing = sorted(set(keys) - set(known))
    if missing:
        raise InvalidInputError(
            f"run {run_id!r} has no metric {missing[0]!r}; "
            f"GET /api/v1/runs/{run_id} lists its metrics"
        )
    logger.info("export run_id=%s keys=%d format=%s", run_id, len(keys), format)
    chunks = (
        export_csv(state.store, run_id, keys)
        if format == "csv"
        else _parquet(state.store, run_id, keys)
    )
    filename = f"{run_id}-metrics.{format}"
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class _Chunks:
    """A write-only file that hands what was written to the response in pieces;
    the Parquet writer needs ``tell`` to lay out its footer."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.pending.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = b"".join(self.pending)
        self.pending.clear()
        return data


def _parquet(
    store: ClickHouseStore, run_id: str, keys: Sequence[str]
) -> Iterator[bytes]:
    sink = _Chunks()
    writer: pq.ParquetWriter | None = None
    for table in export_arrow(store, run_id, keys):
        if writer is None:
            writer = pq.ParquetWriter(sink, table.schema)
        writer.write_table(table)
        yield sink.take()
    if writer is not None:
        writer.close()
    yield sink.take()
