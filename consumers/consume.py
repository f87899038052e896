"""``runstream consume``: one member of the projection consumer group.

Start as many as there are partitions to share: Kafka hands each member its
partitions and moves them when a member joins, stops or dies. Each member writes
the same ClickHouse server and blob store, so this needs the scaled mode (chDB
allows one process per data folder).
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from runstream.allocator import limit_malloc_arenas
from runstream.settings import load_settings

logger = logging.getLogger(__name__)


def consume_command(
    group: Annotated[
        str | None,
        typer.Option(help="Consumer group; default RUNSTREAM_CONSUMER_GROUP."),
    ] = None,
) -> None:
    """Project the event log into ClickHouse and the blob store until SIGTERM or
    Ctrl-C; offsets are committed only after each batch is written."""
    from runstream.consumers.service import ProjectionService

    overrides: dict[str, object] = {}
    if group is not None:
        overrides["consumer_group"] = group
    settings = load_settings(**overrides)
    limit_malloc_arenas()  # before chDB and the consumer start their threads
    service = ProjectionService.open(settings)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    logger.info(
        "consumer starting group=%s log=%s store=%s",
        settings.consumer_group,
        settings.log_location(),
        settings.clickhouse_location(),
    )
    try:
        service.runner.run_forever(stop)
    finally:
        service.log.close()
        service.store.close()
    logger.info("consumer stopped group=%s", settings.consumer_group)
