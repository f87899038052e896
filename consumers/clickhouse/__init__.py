"""ClickHouse: the projection tables and the store that reads and writes them."""

from runstream.consumers.clickhouse.store import ClickHouseStore, connect_store

__all__ = ["ClickHouseStore", "connect_store"]
