"""The metrics store: a thin wrapper over clickhouse-connect for both modes."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import clickhouse_connect

from runstream.consumers.clickhouse.schema import create_statements
from runstream.errors import InvalidInputError, StoreError

logger = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ClickHouseStore:
    """Projections in ClickHouse: chDB in-process, or a server over HTTP.

    One lock serialises calls, because chDB's session is not safe to share between
    threads and the consumer and the API run in the same process.
    """

    def __init__(self, client: Any, database: str) -> None:
        if not _IDENTIFIER.match(database):
            raise InvalidInputError(
                f"ClickHouse database name {database!r} must be letters, digits "
                "and underscores (set RUNSTREAM_CLICKHOUSE_DATABASE)"
            )
        self.client = client
        self.database = database
        self._lock = threading.RLock()

    def create_tables(self) -> None:
        for statement in create_statements(self.database):
            self.command(statement)
        logger.info("projection tables ready database=%s", self.database)

    def table(self, name: str) -> str:
        return f"{self.database}.{name}"

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any:
        with self._lock:
            try:
                return self.client.command(sql, parameters=parameters)
            except Exception as e:
                raise StoreError(f"ClickHouse command failed: {e}") from e

    def query(
        self, sql: str, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run a SELECT with bound parameters; rows come back as dicts."""
        with self._lock:
            try:
                result = self.client.query(sql, parameters=parameters)
            except Exception as e:
                raise StoreError(f"ClickHouse query failed: {e}") from e
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

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
                    column_oriented=True,
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


def connect_store(location: str, database: str) -> ClickHouseStore:
    """Open the store a location names: ``chdb:///path`` (embedded) only, for now."""
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
    # TODO: ClickHouse server over HTTP arrives with the scaled-mode issue.
    raise InvalidInputError(
        f"RUNSTREAM_CLICKHOUSE={location!r} is not supported by this build; "
        "use chdb:///path or leave it unset"
    )
