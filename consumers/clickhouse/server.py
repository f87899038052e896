"""Connecting to a ClickHouse server over HTTP(S), the scaled mode's store.

The location carries the address (``https://host:8443``); the user, password, TLS
checks and cluster come from RUNSTREAM_CLICKHOUSE_* settings, so no secret sits in
a location string that may be logged.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect

from runstream.errors import InvalidInputError, StoreError
from runstream.settings import ClickHouseSettings

logger = logging.getLogger(__name__)


def client_arguments(location: str, settings: ClickHouseSettings) -> dict[str, Any]:
    """clickhouse-connect's ``get_client`` arguments for a server location."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            f"RUNSTREAM_CLICKHOUSE={location!r} must be http(s)://host:port"
        )
    if parts.username or parts.password:
        raise InvalidInputError(
            "RUNSTREAM_CLICKHOUSE must not carry a user or password; set "
            "RUNSTREAM_CLICKHOUSE_USER and RUNSTREAM_CLICKHOUSE_PASSWORD instead"
        )
    secure = parts.scheme == "https"
    arguments: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port or (8443 if secure else 8123),
        "username": settings.user,
        "password": settings.password.get_secret_value(),
        "secure": secure,
        "verify": settings.verify,
    }
    if settings.ca_cert:
        arguments["ca_cert"] = settings.ca_cert
    if settings.cluster:
        # Inserts through a Distributed table return once every shard has them,
        # so a reader right after a projection write sees it.
        arguments["settings"] = {"distributed_foreground_insert": 1}
    return arguments


def server_client(location: str, settings: ClickHouseSettings) -> Any:
    """A clickhouse-connect client for the server at ``location``."""
    arguments = client_arguments(location, settings)
    try:
        client = clickhouse_connect.get_client(**arguments)
    except Exception as e:  # the driver raises its own and the HTTP library's
        raise StoreError(
            f"cannot connect to ClickHouse at {location} as {settings.user!r}: {e}; "
            "check RUNSTREAM_CLICKHOUSE and RUNSTREAM_CLICKHOUSE_USER/_PASSWORD"
        ) from e
    logger.info(
        "connected to ClickHouse server=%s user=%s cluster=%s",
        location,
        settings.user,
        settings.cluster,
    )
    return client
