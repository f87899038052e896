"""The projection tables for a ClickHouse cluster (RUNSTREAM_CLICKHOUSE_CLUSTER).

Every table of ``schema.TABLES`` becomes two, created ``ON CLUSTER``:

- ``<name>_local`` on each node, with the Replicated variant of its engine, so each
  shard keeps its replicas in step through ClickHouse Keeper;
- ``<name>``, a Distributed table over them that readers and writers use, so the
  queries stay the same as on one node.

Rows are sharded by the first column of their sorting key (the run id for run data),
so every version of a row lands on one shard and ``FINAL`` merges them there.
"""

# TODO: run these on a real cluster; only chDB's parser checks them (no Keeper here).
# TODO: replay's EXCHANGE TABLES swap is single-node; Distributed tables need more.

from __future__ import annotations

import re

_ENGINE = re.compile(
    r"ENGINE\s*=\s*(?P<engine>\w*MergeTree)(?:\((?P<args>[^)]*)\))?", re.IGNORECASE
)
_ORDER_BY = re.compile(r"ORDER BY\s*\(?\s*(?P<first>\w+)", re.IGNORECASE)

LOCAL_SUFFIX = "_local"
# Keeper paths from the server's own macros, unique per database, table and shard.
REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"


def replicated(body: str) -> str:
    """A table body with its MergeTree engine swapped for the Replicated one."""
    match = _ENGINE.search(body)
    if match is None:
        raise ValueError(f"no MergeTree engine in table body: {body!r}")
    args = (match.group("args") or "").strip()
    engine_args = f"{REPLICA_PATH}, {args}" if args else REPLICA_PATH
    engine = f"ENGINE = Replicated{match.group('engine')}({engine_args})"
    return body[: match.start()] + engine + body[match.end() :]


def sharding_key(body: str) -> str:
    match = _ORDER_BY.search(body)
    if match is None:
        raise ValueError(f"no ORDER BY in table body: {body!r}")
    return f"cityHash64({match.group('first')})"


def cluster_statements(
    database: str,
    cluster: str,
    tables: dict[str, str],
    added_columns: dict[str, list[str]],
) -> list[str]:
    """The statements that create the database and tables on ``cluster``."""
    on = f"ON CLUSTER {cluster}"
    statements = [f"CREATE DATABASE IF NOT EXISTS {database} {on}"]
    for name, body in tables.items():
        local = f"{database}.{name}{LOCAL_SUFFIX}"
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {local} {on} ({replicated(body)}"
        )
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {database}.{name} {on} AS {local} "
            f"ENGINE = Distributed({cluster}, {database}, {name}{LOCAL_SUFFIX}, "
            f"{sharding_key(body)})"
        )
    for name, columns in added_columns.items():
        for column in columns:
            for table in (f"{name}{LOCAL_SUFFIX}", name):
                statements.append(
                    f"ALTER TABLE {database}.{table} {on} "
                    f"ADD COLUMN IF NOT EXISTS {column}"
                )
    return statements
