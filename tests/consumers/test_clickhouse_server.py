"""The ClickHouse server path: connection settings and the cluster schema.

No server binary is obtainable here, so the cluster statements are checked with
chDB's own parser (the same engine a server runs) and for their structure.
"""

from __future__ import annotations

import re

import pytest

from runstream.consumers.clickhouse import ClickHouseStore, connect_store
from runstream.consumers.clickhouse.schema import TABLES, create_statements
from runstream.consumers.clickhouse.server import client_arguments
from runstream.errors import InvalidInputError, StoreError
from runstream.settings import ClickHouseSettings


def test_cluster_statements_parse_with_the_clickhouse_engine(store: ClickHouseStore):
    for statement in create_statements("runstream", "analytics"):
        (row,) = store.query(
            "SELECT formatQuery({sql:String}) AS f", {"sql": statement}
        )
        assert row["f"]


def test_every_table_is_replicated_locally_and_distributed_by_its_first_key():
    statements = create_statements("rs", "analytics")
    for name, body in TABLES.items():
        local = next(s for s in statements if f"rs.{name}_local ON CLUSTER" in s)
        assert re.search(
            r"ENGINE = Replicated\w*MergeTree\('/clickhouse/tables/", local
        )
        first = re.search(r"ORDER BY \(?(\w+)", body).group(1)  # type: ignore[union-attr]
        distributed = next(s for s in statements if f"rs.{name} ON CLUSTER" in s)
        assert distributed.endswith(
            f"Distributed(analytics, rs, {name}_local, cityHash64({first}))"
        )


def test_without_a_cluster_the_statements_are_the_embedded_ones():
    assert create_statements("rs") == create_statements("rs", None)
    assert not any("ON CLUSTER" in s for s in create_statements("rs"))


def test_server_settings_become_client_arguments():
    settings = ClickHouseSettings(
        user="tracker", password="s3cret", verify=False, ca_cert="/ca.pem",
        cluster="analytics",
    )  # fmt: skip
    arguments = client_arguments("https://ch.internal", settings)
    assert arguments == {
        "host": "ch.internal",
        "port": 8443,
        "username": "tracker",
        "password": "s3cret",
        "secure": True,
        "verify": False,
        "ca_cert": "/ca.pem",
        "settings": {"distributed_foreground_insert": 1},
    }
    plain = client_arguments("http://127.0.0.1:9123", ClickHouseSettings())
    assert (plain["port"], plain["secure"], plain["username"]) == (
        9123,
        False,
        "default",
    )


def test_credentials_in_the_location_are_refused():
    with pytest.raises(InvalidInputError, match="RUNSTREAM_CLICKHOUSE_USER"):
        client_arguments("http://user:pw@127.0.0.1:8123", ClickHouseSettings())


def test_an_unreachable_server_says_what_to_check(unused_port: int):
    with pytest.raises(StoreError, match="check RUNSTREAM_CLICKHOUSE"):
        connect_store(f"http://127.0.0.1:{unused_port}", "runstream")


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
