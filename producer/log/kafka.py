"""The event log on Apache Kafka (``kafka://host:port[,host:port...]``).

The producer is idempotent with ``acks=all``, so the broker drops the duplicates its
own retries would make; it compresses and lingers a little, because the SDK sends
many mid-sized batches of metric points. Every event of a run has the run id as its
key, so a run stays in one partition, in order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from runstream.errors import EventLogError, PartialAppendError
from runstream.log.base import Position, Record
from runstream.log.kafka_admin import KafkaTopics, client_config, parse_bootstrap
from runstream.log.kafka_consumer import KafkaLogConsumer
from runstream.settings import KafkaSettings, load_kafka_settings

logger = logging.getLogger(__name__)


class KafkaEventLog:
    """An :class:`~runstream.log.base.EventLog` on Kafka brokers."""

    def __init__(
        self,
        location: str,
        partitions: int = 8,
        settings: KafkaSettings | None = None,
    ) -> None:
        self.bootstrap = parse_bootstrap(location)
        self.settings = settings or load_kafka_settings()
        self.topics = KafkaTopics(self.bootstrap, self.settings, partitions)
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KafkaEventLog({','.join(self.bootstrap)})"

    def _producer_config(self) -> dict[str, Any]:
        s = self.settings
        compression = None if s.compression == "none" else s.compression
        return {
            **client_config(self.bootstrap, s),
            "acks": "all",
            "enable_idempotence": True,
            "compression_type": compression,
            "linger_ms": s.linger_ms,
            "batch_size": s.batch_size,
            "max_request_size": s.max_message_bytes,
            "delivery_timeout_ms": s.delivery_timeout_ms,
            # A send waits this long for metadata when the brokers are gone, so an
            # append fails in bounded time and the SDK can spill to disk.
            "max_block_ms": s.request_timeout_ms,
        }

    def _open_producer(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = KafkaProducer(**self._producer_config())
            except KafkaError as e:
                raise EventLogError(
                    f"cannot reach Kafka at {','.join(self.bootstrap)}: {e}; check "
                    "RUNSTREAM_TRACKING_URI and that the brokers are up"
                ) from e
            logger.info("Kafka producer connected bootstrap=%s", self.bootstrap)
        return self._producer

    def _drop_producer(self) -> None:
        # After a failed delivery the idempotent producer's sequence state is in
        # doubt; a fresh producer (a new producer id) starts clean.
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except KafkaError:
                logger.debug("closing a failed Kafka producer failed", exc_info=True)
            self._producer = None

    def append(self, records: Sequence[Record]) -> list[Position]:
        # TODO: a write whose ack got lost is appended twice; events lists it twice.
        if not records:
            return []
        self.topics.ensure({r.topic for r in records})
        with self._lock:
            producer = self._open_producer()
            futures = []
            error: Exception | None = None
            try:
                for r in records:
                    futures.append(producer.send(r.topic, r.value, r.key.encode()))
                producer.flush(timeout=self.settings.delivery_timeout_ms / 1000 + 5)
            except KafkaError as e:
                error = e
            appended = [_position(f) for f in futures]
            appended += [None] * (len(records) - len(futures))
            if error is None and all(p is not None for p in appended):
                logger.debug("appended records=%d", len(records))
                return [p for p in appended if p is not None]
            self._drop_producer()
        reasons = [f.exception for f in futures if f.is_done and f.failed()]
        reason = error or (reasons[0] if reasons else "delivery timed out")
        missing = sum(p is None for p in appended)
        raise PartialAppendError(
            f"{missing} of {len(records)} records did not reach Kafka at "
            f"{','.join(self.bootstrap)}: {reason}; check that the brokers are up",
            appended,
        )

    def consumer(self, group_id: str, topics: Sequence[str]) -> KafkaLogConsumer:
        return KafkaLogConsumer(self.topics, group_id, list(topics))

    def end_offsets(self, topic: str) -> dict[int, int]:
        return self.topics.end_offsets(topic)

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                try:
                    self._producer.close(timeout=5)
                except KafkaError:
                    logger.debug("closing the Kafka producer failed", exc_info=True)
                self._producer = None
        self.topics.close()


def _position(future: Any) -> Position | None:
    if not future.is_done or future.failed():
        return None
    meta = future.value
    return Position(meta.topic, meta.partition, meta.offset)
