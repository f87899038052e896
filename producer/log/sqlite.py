"""The embedded event log: one SQLite file with Kafka-like partitions and offsets.

Several writer processes append at once (each append is one ``BEGIN IMMEDIATE``
transaction, so offsets are allocated without gaps or races) and one reader process
consumes. Consumer-group positions live in the same file, so a commit is durable.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

from runstream.errors import EventLogError
from runstream.events.model import now_ms
from runstream.log.base import LogRecord, Position, Record

logger = logging.getLogger(__name__)

# A plain rowid table, not WITHOUT ROWID: that layout keeps whole rows, large
# frames included, in the primary key's b-tree, and every seek to an offset then
# took about 0.5 ms instead of 0.007 ms on a log of large metric batches; the
# consumer's idle polling alone cost a quarter of a core after 4,000,000 points.
_RECORDS_TABLE = """
CREATE TABLE IF NOT EXISTS records (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    appended_at INTEGER NOT NULL,
    PRIMARY KEY (topic, partition, offset)
)"""
_SCHEMA = f"""
{_RECORDS_TABLE};
CREATE TABLE IF NOT EXISTS topics (
    topic TEXT PRIMARY KEY,
    partitions INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS commits (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
);
"""

BUSY_TIMEOUT_S = 60.0
# The most record bytes one poll returns, as Kafka's fetch.max.bytes bounds its
# fetches: 2,000 large metric batches would otherwise decode to gigabytes.
MAX_POLL_BYTES = 32 << 20


def partition_for(key: str, partitions: int) -> int:
    """Stable across processes and Python versions (unlike ``hash``)."""
    return zlib.crc32(key.encode()) % partitions


class SqliteEventLog:
    """An :class:`~runstream.log.base.EventLog` in one SQLite file."""

    def __init__(self, path: Path | str, partitions: int = 8) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.default_partitions = partitions
        self._local = threading.local()
        self._topics: dict[str, int] = {}
        with self._connect() as conn:
            conn.executescript(_SCHEMA)
        self._migrate_records()
        logger.debug("opened event log path=%s", self.path)

    def _migrate_records(self) -> None:
        """Move a log made by an earlier runstream (records WITHOUT ROWID) to the
        rowid layout, in one transaction that other processes wait for."""
        conn = self._connect()
        if not self._records_without_rowid(conn):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._records_without_rowid(conn):  # another process may have
                logger.info(
                    "moving the event log to the rowid layout path=%s", self.path
                )
                conn.execute("ALTER TABLE records RENAME TO records_without_rowid")
                conn.execute(_RECORDS_TABLE)
                conn.execute("INSERT INTO records SELECT * FROM records_without_rowid")
                conn.execute("DROP TABLE records_without_rowid")
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            conn.execute("ROLLBACK")
            raise EventLogError(
                f"moving the event log at {self.path} to the new layout failed: {e}; "
                "nothing was changed, and an earlier runstream still reads it"
            ) from e

    @staticmethod
    def _records_without_rowid(conn: sqlite3.Connection) -> bool:
        row = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'records'"
        ).fetchone()
        return row is not None and "WITHOUT ROWID" in row[0].upper()

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as e:
                raise EventLogError(
                    f"cannot open the event log at {self.path}: {e}; check that the "
                    "folder is writable (set RUNSTREAM_HOME to move it)"
                ) from e
            self._local.conn = conn
        return conn

    def partitions(self, topic: str) -> int:
        """Partitions of ``topic``, fixed the first time any process uses it."""
        if topic in self._topics:
            return self._topics[topic]
        conn = self._connect()
        conn.execute(
            "INSERT OR IGNORE INTO topics (topic, partitions) VALUES (?, ?)",
            (topic, self.default_partitions),
        )
        (count,) = conn.execute(
            "SELECT partitions FROM topics WHERE topic = ?", (topic,)
        ).fetchone()
        self._topics[topic] = count
        return int(count)

    def append(self, records: Sequence[Record]) -> list[Position]:
        if not records:
            return []
        routed = [(r, partition_for(r.key, self.partitions(r.topic))) for r in records]
        conn = self._connect()
        appended_at = now_ms()
        try:
            conn.execute("BEGIN IMMEDIATE")
            next_offsets: dict[tuple[str, int], int] = {}
            rows = []
            positions = []
            for record, partition in routed:
                slot = (record.topic, partition)
                if slot not in next_offsets:
                    (top,) = conn.execute(
                        "SELECT MAX(offset) FROM records "
                        "WHERE topic = ? AND partition = ?",
                        slot,
                    ).fetchone()
                    next_offsets[slot] = -1 if top is None else top
                next_offsets[slot] += 1
                offset = next_offsets[slot]
                rows.append(
                    (
                        record.topic,
                        partition,
                        offset,
                        record.key,
                        record.value,
                        appended_at,
                    )
                )
                positions.append(Position(record.topic, partition, offset))
            conn.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise EventLogError(
                f"appending {len(records)} records to {self.path} failed: {e}"
            ) from e
        return positions

    def read(
        self,
        topic: str,
        partition: int,
        offset: int,
        max_records: int,
        max_bytes: int | None = None,
    ) -> list[LogRecord]:
        """Records from ``offset`` on: at most ``max_records``, and once their
        values pass ``max_bytes`` no more (the first record always comes)."""
        rows = self._connect().execute(
            "SELECT offset, key, value, appended_at FROM records "
            "WHERE topic = ? AND partition = ? AND offset >= ? "
            "ORDER BY offset LIMIT ?",
            (topic, partition, offset, max_records),
        )
        records: list[LogRecord] = []
        size = 0
        for o, k, v, at in rows:
            records.append(LogRecord(Position(topic, partition, o), k, bytes(v), at))
            size += len(v)
            if max_bytes is not None and size >= max_bytes:
                break
        return records

    def end_offsets(self, topic: str) -> dict[int, int]:
        # One MAX per partition is one seek in the primary key each; a GROUP BY
        # over the topic reads every record's key, however long the log.
        conn = self._connect()
        ends = {}
        for partition in range(self.partitions(topic)):
            (top,) = conn.execute(
                "SELECT MAX(offset) FROM records WHERE topic = ? AND partition = ?",
                (topic, partition),
            ).fetchone()
            ends[partition] = 0 if top is None else top + 1
        return ends

    def committed(self, group_id: str, topic: str) -> dict[int, int]:
        """The next offset the group will read, per partition."""
        found = dict.fromkeys(range(self.partitions(topic)), 0)
        rows = self._connect().execute(
            "SELECT partition, offset FROM commits WHERE group_id = ? AND topic = ?",
            (group_id, topic),
        )
        found.update(dict(rows.fetchall()))
        return found

    def commit(self, group_id: str, positions: Sequence[Position]) -> None:
        """Record that each position's record is done (the next read is +1)."""
        conn = self._connect()
        conn.executemany(
            "INSERT INTO commits (group_id, topic, partition, offset) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (group_id, topic, partition) "
            "DO UPDATE SET offset = MAX(offset, excluded.offset)",
            [(group_id, p.topic, p.partition, p.offset + 1) for p in positions],
        )

    def consumer(self, group_id: str, topics: Sequence[str]) -> SqliteConsumer:
        return SqliteConsumer(self, group_id, list(topics))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class SqliteConsumer:
    """The one reader of an embedded log: it owns every partition of its topics."""

    def __init__(self, log: SqliteEventLog, group_id: str, topics: list[str]) -> None:
        self.log = log
        self.group_id = group_id
        self.topics = topics
        self._next = {
            (t, p): o for t in topics for p, o in log.committed(group_id, t).items()
        }
        self._woken = threading.Event()

    def poll(self, max_records: int, timeout_s: float) -> list[LogRecord]:
        deadline = time.monotonic() + timeout_s
        while True:
            batch: list[LogRecord] = []
            size = 0
            for (topic, partition), offset in sorted(self._next.items()):
                room = max_records - len(batch)
                if room <= 0 or size >= MAX_POLL_BYTES:
                    break
                records = self.log.read(
                    topic, partition, offset, room, MAX_POLL_BYTES - size
                )
                if records:
                    self._next[(topic, partition)] = records[-1].position.offset + 1
                    batch.extend(records)
                    size += sum(len(r.value) for r in records)
            if batch or time.monotonic() >= deadline:
                return batch
            self._woken.wait(min(0.05, max(0.0, deadline - time.monotonic())))
            self._woken.clear()

    def wake(self) -> None:
        """Look for new records now rather than at the next tick: a writer in this
        process that waits for its own events calls this after appending."""
        self._woken.set()

    def commit(self, positions: Sequence[Position]) -> None:
        self.log.commit(self.group_id, positions)

    def seek(self, position: Position) -> None:
        """Read ``position`` next (used to re-read after a failed write)."""
        self._next[(position.topic, position.partition)] = position.offset

    def assignment(self) -> frozenset[tuple[str, int]]:
        return frozenset(self._next)

    def lag(self) -> dict[tuple[str, int], int]:
        lag: dict[tuple[str, int], int] = {}
        for topic in self.topics:
            ends = self.log.end_offsets(topic)
            done = self.log.committed(self.group_id, topic)
            for partition, end in ends.items():
                lag[(topic, partition)] = end - done.get(partition, 0)
        return lag

    def close(self) -> None:
        self.log.close()
