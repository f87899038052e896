"""The metrics store: a thin wrapper over clickhouse-connect for both modes."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import clickhouse_connect
import pyarrow as pa

from runstream.consumers.clickhouse.parameters import check_integer_parameters
from runstream.consumers.clickhouse.schema import (
    backfill_statements,
    create_statements,
    retired_statements,
)
from runstream.consumers.clickhouse.server import server_client
from runstream.errors import InvalidInputError, StoreError
from runstream.settings import ClickHouseSettings, load_clickhouse_settings

logger = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A ReplacingMergeTree drops duplicate rows of one insert while writing it, by
# default; every read of the metrics table says FINAL, which drops them anyway,
# and that pass was 40% of inserting 1,000,000 points.
ARROW_INSERT_SETTINGS = {"optimize_on_insert": 0}
# A FINAL read merges a key range's parts row by row, even a range that sits in
# one part which a merge has already deduplicated (level > 0). With this setting
# such a lonely part is read as it is, in parallel: 124 -> 74 ms for a
# 1,000,000-point chart. It is only valid because no table has a PARTITION BY:
# duplicates never sit in two partitions.
READ_SETTINGS = {"do_not_merge_across_partitions_select_final": 1}


class ClickHouseStore:
    """Projections in ClickHouse: chDB in-process, or a server over HTTP.

    One lock serialises calls, because chDB's session is not safe to share between
    threads and the consumer and the API run in the same process.
    """

    def __init__(self, client: Any, database: str, cluster: str | None = None) -> None:
        if not _IDENTIFIER.match(database):
            raise InvalidInputError(
                f"ClickHouse database name {database!r} must be letters, digits "
                "and underscores (set RUNSTREAM_CLICKHOUSE_DATABASE)"
            )
        if cluster is not None and not _IDENTIFIER.match(cluster):
            raise InvalidInputError(
                f"ClickHouse cluster name {cluster!r} must be letters, digits and "
                "underscores (set RUNSTREAM_CLICKHOUSE_CLUSTER)"
            )
        self.client = client
        self.database = database
        self.cluster = cluster
        self._lock = threading.RLock()
        # Column types per table, for inserts; forgotten when tables are created.
        self._types: dict[str, dict[str, str]] = {}

    def create_tables(self) -> None:
        self._types.clear()
        retired = self._has_retired_layout()
        if retired:
            for statement in retired_statements(self.database):
                self.command(statement)
        for statement in create_statements(self.database, self.cluster):
            self.command(statement)
        if retired:
            for statement in backfill_statements(self.database):
                self.command(statement)
            logger.info("latest_metrics rebuilt database=%s", self.database)
        logger.info("projection tables ready database=%s", self.database)

    def _has_retired_layout(self) -> bool:
        # TODO: a cluster made by an earlier runstream needs the same ON CLUSTER.
        rows = self.query(
            "SELECT count() AS n FROM system.tables "
            "WHERE database = {database:String} AND name = 'latest_metrics_mv'",
            {"database": self.database},
        )
        return bool(rows[0]["n"])

    def table(self, name: str) -> str:
        return f"{self.database}.{name}"

    def for_database(self, database: str) -> ClickHouseStore:
        """The same connection, on another database (a replayed state); the lock
        is shared because the connection is."""
        other = ClickHouseStore(self.client, database, self.cluster)
        other._lock = self._lock
        return other

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any:
        check_integer_parameters(sql, parameters)
        with self._lock:
            try:
                return self.client.command(sql, parameters=parameters)
            except Exception as e:
                raise StoreError(f"ClickHouse command failed: {e}") from e

    def query(
        self, sql: str, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run a SELECT with bound parameters; rows come back as dicts."""
        check_integer_parameters(sql, parameters)
        with self._lock:
            try:
                result = self.client.query(
                    sql, parameters=parameters, settings=READ_SETTINGS
                )
            except Exception as e:
                raise StoreError(f"ClickHouse query failed: {e}") from e
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def query_bytes(
        self, sql: str, parameters: Mapping[str, Any] | None, fmt: str
    ) -> bytes:
        """A SELECT's answer in a ClickHouse output format (CSV, Parquet, ...)."""
        check_integer_parameters(sql, parameters)
        with self._lock:
            try:
                data: bytes = self.client.raw_query(
                    sql, parameters=parameters, settings=READ_SETTINGS, fmt=fmt
                )
            except Exception as e:
                raise StoreError(f"ClickHouse query failed: {e}") from e
        return data

    def query_arrow(self, sql: str, parameters: Mapping[str, Any] | None) -> Any:
        """A SELECT's answer as a pyarrow Table."""
        check_integer_parameters(sql, parameters)
        with self._lock:
            try:
                return self.client.query_arrow(
                    sql, parameters=parameters, settings=READ_SETTINGS
                )
            except Exception as e:
                raise StoreError(f"ClickHouse query failed: {e}") from e

    def insert(self, table: str, columns: Mapping[str, Sequence[Any]]) -> None:
        """Insert column-oriented data into ``table`` of this database."""
        if not columns or not len(next(iter(columns.values()))):
            return
        with self._lock:
            try:
                self.client.insert(
                    self.table(table),
                    list(columns.values()),
                    column_names=list(columns),
                    column_type_names=self._column_types(table, list(columns)),
                    column_oriented=True,
                )
            except Exception as e:
                raise StoreError(f"ClickHouse insert into {table} failed: {e}") from e

    def _column_types(self, table: str, names: Sequence[str]) -> list[str] | None:
        """The ClickHouse types of ``names`` in ``table``, remembered: without
        them the driver asks the server before every insert, which doubled the
        statements a projection batch runs. None lets the driver ask (and name
        the column) when one is unknown."""
        types = self._types.get(table)
        if types is None:
            rows = self.client.query(f"DESCRIBE TABLE {self.table(table)}")
            types = {row[0]: row[1] for row in rows.result_rows}
            self._types[table] = types
        if not all(name in types for name in names):
            return None
        return [types[name] for name in names]

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Insert an Arrow table into ``table`` of this database; dictionary
        columns arrive as LowCardinality without a Python loop per row."""
        if not data.num_rows:
            return
        with self._lock:
            try:
                self.client.insert_arrow(
                    self.table(table), data, settings=ARROW_INSERT_SETTINGS
                )
            except Exception as e:
                raise StoreError(f"ClickHouse insert into {table} failed: {e}") from e

    def ping(self) -> bool:
        try:
            self.query("SELECT 1")
        except StoreError:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            self.client.close()


def connect_store(
    location: str, database: str, settings: ClickHouseSettings | None = None
) -> ClickHouseStore:
    """Open the store a location names: ``chdb:///path`` (embedded, in-process) or
    ``http(s)://host:port`` (a server; RUNSTREAM_CLICKHOUSE_* hold the rest)."""
    if location.startswith("chdb://"):
        path = Path(location.removeprefix("chdb://"))
        path.mkdir(parents=True, exist_ok=True)
        try:
            client = clickhouse_connect.get_client(interface="chdb", path=str(path))
        except Exception as e:
            raise StoreError(
                f"cannot open chDB at {path}: {e}; only one process may own it, so "
                "stop any other `runstream server` using this RUNSTREAM_HOME"
            ) from e
        logger.info("opened chDB path=%s", path)
        return ClickHouseStore(client, database)
    if location.startswith(("http://", "https://")):
        s = settings or load_clickhouse_settings()
        return ClickHouseStore(server_client(location, s), database, s.cluster)
    raise InvalidInputError(
        f"RUNSTREAM_CLICKHOUSE={location!r} names no ClickHouse; use chdb:///path "
        "or http(s)://host:port, or leave it unset"
    )
