"""A live query API for the SDK's read calls, served by uvicorn in a thread.

The SDK reads only over HTTP (RUNSTREAM_API_URL), so these tests write with the SDK,
project with ``service.catch_up()`` and read back through a real socket.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import runstream
from runstream.consumers.service import ProjectionService


@pytest.fixture
def synced(service: ProjectionService, api_url: str) -> Callable[[], None]:
    """Call it to put everything logged so far on the log and project it."""

    def sync() -> None:
        runstream.flush()
        service.catch_up()

    return sync
