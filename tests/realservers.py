"""Real servers for the tests: Apache Kafka and MinIO, started by deploy/dev/*.sh
through ``bench/servers.py``.

A machine without them provisioned skips those tests with the reason printed. Under
``CI=true`` nothing may skip: .ci/run provisions both first, so a missing server is
a failure there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.servers import MINIO_PASSWORD, MINIO_USER, Server, missing

__all__ = ["MINIO_PASSWORD", "MINIO_USER", "Server", "require", "start"]


def require(kind: str) -> None:
    """Skip the test when ``kind`` cannot start, or fail under CI=true."""
    reason = missing(kind)
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must not skip real-server tests", pytrace=False)
    pytest.skip(reason)


def start(kind: str, folder: Path) -> Server:
    require(kind)
    return Server(kind, folder).start()
