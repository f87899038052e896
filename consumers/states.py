"""Projection states: the live one, and those replays build beside it.

A state is one ClickHouse database of projection tables plus a prefix in the blob
store for the blobs its projector writes. The live state is the database the
settings name (RUNSTREAM_CLICKHOUSE_DATABASE); a state named ``before_fix`` lives
in ``<live>__before_fix``. Each database's ``state`` table says where its blobs
are and which part of the log it holds, so swapping a replayed set of tables in
also swaps where artifacts are read from.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from runstream.blobs import BlobStore
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.errors import InvalidInputError, NotFoundError

logger = logging.getLogger(__name__)

LIVE = "live"
STATE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Between the live database's name and a state's; a state name cannot hold two
# underscores in a row, so a database name maps back to exactly one state.
_SEPARATOR = "__"
BLOB_PREFIX_KEY = "blob_prefix"


def check_state_name(name: str) -> str:
    if name == LIVE or not STATE_NAME.match(name) or _SEPARATOR in name:
        raise InvalidInputError(
            f"state name {name!r} is refused: use 1 to 40 lowercase letters, digits "
            "and single underscores, starting with a letter, and not 'live', "
            "e.g. 'before_fix'"
        )
    return name


class PrefixedBlobStore:
    """A blob store seen through a prefix: what a state's projector wrote.

    Reads fall back to the unprefixed key, because files too large to travel inside
    events are written there by the SDK once and shared by every state.
    """

    def __init__(self, base: BlobStore, prefix: str) -> None:
        self.base = base
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        self.base.put(self._key(key), data)

    def put_file(self, key: str, source: Path) -> None:
        self.base.put_file(self._key(key), source)

    def ping(self) -> bool:
        return self.base.ping()

    def exists(self, key: str) -> bool:
        return self.base.exists(self._key(key)) or self.base.exists(key)

    def open_chunks(self, key: str) -> Iterator[bytes]:
        own = self._key(key)
        return self.base.open_chunks(own if self.base.exists(own) else key)

    def list(self, prefix: str) -> list[tuple[str, int]]:
        found = dict(self.base.list(prefix))
        if self.prefix:
            cut = len(self.prefix)
            own = self.base.list(self._key(prefix))
            found.update((key[cut:], size) for key, size in own)
        return sorted(found.items())


@dataclass(frozen=True)
class State:
    """One readable set of projections."""

    name: str
    store: ClickHouseStore
    base_blobs: BlobStore

    def info(self) -> dict[str, str]:
        return read_info(self.store)

    def blobs(self) -> PrefixedBlobStore:
        """Its blobs; asked for when needed, since finding them costs a query."""
        prefix = self.info().get(BLOB_PREFIX_KEY, "")
        return PrefixedBlobStore(self.base_blobs, prefix)


class StateCatalog:
    """Finds, creates and drops states next to the live database."""

    def __init__(self, live: ClickHouseStore, blobs: BlobStore) -> None:
        self.live_store = live
        self.base_blobs = blobs

    def database(self, name: str) -> str:
        if name == LIVE:
            return self.live_store.database
        return f"{self.live_store.database}{_SEPARATOR}{check_state_name(name)}"

    def open(self, name: str | None = None) -> State:
        """The state called ``name``; the live one when ``name`` is empty."""
        name = name or LIVE
        database = self.database(name)
        if name != LIVE and not self._exists(database):
            raise NotFoundError(
                f"no state {name!r}; list states with GET /api/v1/states or build "
                f"one with `runstream replay --into {name}`"
            )
        if name == LIVE:
            return State(name, self.live_store, self.base_blobs)
        store = self.live_store.for_database(database)
        return State(name, store, self.base_blobs)

    def create(self, name: str, info: Mapping[str, str]) -> State:
        """A new, empty state with its tables; refuses a name already in use."""
        self.check_free(name)
        store = self.live_store.for_database(self.database(name))
        store.create_tables()
        write_info(store, info)
        logger.info("state created name=%s database=%s", name, store.database)
        return self.open(name)

    def check_free(self, name: str) -> None:
        """Refuse ``name`` for a new state when one already has it."""
        if self._exists(self.database(name)):
            raise InvalidInputError(
                f"state {name!r} exists already; choose another name or drop it "
                f"first (`runstream replay --into {name} --replace`)"
            )

    def names(self) -> list[str]:
        """Every state but the live one, by name."""
        prefix = self.live_store.database + _SEPARATOR
        rows = self.live_store.query(
            "SELECT name FROM system.databases WHERE startsWith(name, {p:String}) "
            "ORDER BY name",
            {"p": prefix},
        )
        return [row["name"][len(prefix) :] for row in rows]

    def drop(self, name: str) -> None:
        database = self.database(name)
        if name == LIVE:
            raise InvalidInputError("the live state cannot be dropped")
        if not self._exists(database):
            raise NotFoundError(f"no state {name!r} to drop; see GET /api/v1/states")
        self.live_store.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        # TODO: blobs under a dropped state's prefix stay; the blob store has no
        # delete yet.
        logger.info("state dropped name=%s database=%s", name, database)

    def _exists(self, database: str) -> bool:
        rows = self.live_store.query(
            "SELECT count() AS n FROM system.databases WHERE name = {d:String}",
            {"d": database},
        )
        return bool(rows[0]["n"])


def read_info(store: ClickHouseStore) -> dict[str, str]:
    rows = store.query(f"SELECT key, value FROM {store.table('state')} FINAL")
    return {row["key"]: row["value"] for row in rows}


def write_info(store: ClickHouseStore, info: Mapping[str, str]) -> None:
    store.insert("state", {"key": list(info), "value": [str(v) for v in info.values()]})


def live_blobs(store: ClickHouseStore, blobs: BlobStore) -> PrefixedBlobStore:
    """The blob store the live projector writes to: after a replay was swapped
    in, the prefix that replay wrote under."""
    return PrefixedBlobStore(blobs, read_info(store).get(BLOB_PREFIX_KEY, ""))
