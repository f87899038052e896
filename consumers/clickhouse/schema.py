"""The ClickHouse tables the projections write: the one place their DDL lives.

The same statements run on chDB (embedded) and on a ClickHouse server. Every table is
a ReplacingMergeTree (or fed by one), so applying an event twice leaves one row:
that is what makes at-least-once delivery look exactly-once to readers. Rows that
change over time (runs, tags) carry ``version`` = the log offset of the event that
wrote them; all events of one run share a partition, so offsets order them.
"""

from __future__ import annotations

from runstream.consumers.clickhouse.cluster import cluster_statements

TABLES: dict[str, str] = {
    "experiments": """
        experiment_id String,
        name String,
        artifact_location String,
        lifecycle_stage LowCardinality(String),
        creation_time Int64,
        last_update_time Int64,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY experiment_id""",
    "experiment_tags": """
        experiment_id String,
        key String,
        value String,
        deleted UInt8,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (experiment_id, key)""",
    "runs": """
        run_id String,
        experiment_id String,
        run_name String,
        user String,
        status LowCardinality(String),
        start_time Int64,
        end_time Nullable(Int64),
        parent_run_id String,
        lifecycle_stage LowCardinality(String),
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY run_id""",
    "params": """
        run_id String,
        key String,
        value String,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, key)""",
    "tags": """
        run_id String,
        key String,
        value String,
        deleted UInt8,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, key)""",
    # A point is identified by all of its fields, as in MLflow: logging the very same
    # point twice stores it once, which also makes re-applying a batch harmless.
    # The writer's rank is part of that identity, so ranks of one distributed run
    # that log equal points at the same millisecond all keep theirs. The run id is
    # LowCardinality too: a FINAL read merges on the whole sorting key, and
    # comparing codes instead of 32-character strings took a quarter off reading a
    # 1,000,000-point series. A database made before keeps String (both work);
    # a replay builds the new type.
    "metrics": """
        run_id LowCardinality(String),
        key LowCardinality(String),
        step Int64,
        timestamp Int64,
        value Float64,
        rank Int32 DEFAULT 0
    ) ENGINE = ReplacingMergeTree
      ORDER BY (run_id, key, rank, step, timestamp, value)""",
    # The latest point per (run, key) as (step, timestamp, value), so the runs
    # table never scans whole histories. The projector writes each batch's latest
    # point per key (metric_points.py); merges and max() keep the largest.
    "latest_metrics": """
        run_id String,
        key LowCardinality(String),
        latest SimpleAggregateFunction(max, Tuple(Int64, Int64, Float64))
    ) ENGINE = AggregatingMergeTree ORDER BY (run_id, key)""",
    "artifacts": """
        run_id String,
        path String,
        size Int64,
        sha256 String,
        logged_at Int64,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, path)""",
    "inputs": """
        run_id String,
        name String,
        digest String,
        source_type String,
        source String,
        schema String,
        profile String,
        context String
    ) ENGINE = ReplacingMergeTree ORDER BY (run_id, name, digest, context)""",
    "logged_models": """
        run_id String,
        artifact_path String,
        model_uuid String,
        flavors Array(String),
        utc_time_created String,
        mlmodel String
    ) ENGINE = ReplacingMergeTree ORDER BY (run_id, artifact_path, model_uuid)""",
    # Models as MLflow 3 has them (ids m-...): an entity of an experiment with its
    # own status, tags and params, apart from the runs that may have produced it.
    "models": """
        model_id String,
        experiment_id String,
        name String,
        model_type String,
        source_run_id String,
        artifact_location String,
        status LowCardinality(String),
        status_message String,
        lifecycle_stage LowCardinality(String),
        creation_time Int64,
        last_update_time Int64,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY model_id""",
    "model_tags": """
        model_id String,
        key String,
        value String,
        deleted UInt8,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (model_id, key)""",
    "model_params": """
        model_id String,
        key String,
        value String,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (model_id, key)""",
    "run_outputs": """
        run_id String,
        model_id String,
        step Int64
    ) ENGINE = ReplacingMergeTree ORDER BY (run_id, model_id, step)""",
    # Every event applied, without its payload: the history the dashboard shows.
    "events": """
        topic LowCardinality(String),
        partition UInt32,
        offset UInt64,
        key String,
        event_id String,
        event_type LowCardinality(String),
        occurred_at Int64,
        producer_id String,
        sequence Int64
    ) ENGINE = ReplacingMergeTree ORDER BY (key, topic, partition, offset)""",
    # The last position each partition's projection applied.
    "positions": """
        topic String,
        partition UInt32,
        offset UInt64
    ) ENGINE = ReplacingMergeTree(offset) ORDER BY (topic, partition)""",
    # What this set of tables is (consumers/states.py): where its projector writes
    # blobs, how far into the log it reaches. A replay writes it; swapping tables
    # in moves it along with the rest.
    "state": """
        key String,
        value String
    ) ENGINE = ReplacingMergeTree ORDER BY key""",
}

# Columns added after a table was first released, for databases created before:
# their sorting key stays as it was (TODO: replay into fresh tables to get the new
# key), but inserts that name the column work.
ADDED_COLUMNS: dict[str, list[str]] = {"metrics": ["rank Int32 DEFAULT 0"]}


def create_statements(database: str, cluster: str | None = None) -> list[str]:
    """The statements that create the database and its tables; on a
    cluster, replicated local tables behind Distributed ones (``cluster.py``)."""
    if cluster:
        return cluster_statements(database, cluster, TABLES, ADDED_COLUMNS)
    statements = [f"CREATE DATABASE IF NOT EXISTS {database}"]
    for name, body in TABLES.items():
        statements.append(f"CREATE TABLE IF NOT EXISTS {database}.{name} ({body}")
    for name, columns in ADDED_COLUMNS.items():
        for column in columns:
            statements.append(
                f"ALTER TABLE {database}.{name} ADD COLUMN IF NOT EXISTS {column}"
            )
    return statements


def retired_statements(database: str) -> list[str]:
    """What a database made by an earlier runstream must drop before
    ``create_statements``: latest_metrics was argMax states fed by a
    materialized view over every point. ``backfill_statements`` then rebuilds it
    from the points."""
    return [
        f"DROP VIEW IF EXISTS {database}.latest_metrics_mv",
        f"DROP TABLE IF EXISTS {database}.latest_metrics",
    ]


def backfill_statements(database: str) -> list[str]:
    """Fill a rebuilt latest_metrics from the points already projected."""
    return [
        f"INSERT INTO {database}.latest_metrics SELECT run_id, key, "
        f"max((step, timestamp, value)) FROM {database}.metrics GROUP BY run_id, key"
    ]
