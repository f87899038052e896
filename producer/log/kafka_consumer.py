"""A member of a Kafka consumer group: the partitions are shared by all members.

Offsets are committed only when the caller says a batch is written. When the group
rebalances between a poll and its commit, the commit of partitions this member lost
is skipped: their new owner reads those records again, and re-applying them changes
nothing, because every projection is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError
from kafka.structs import OffsetAndMetadata

from runstream.errors import EventLogError
from runstream.log.base import LogRecord, Position
from runstream.log.kafka_admin import KafkaTopics, client_config

logger = logging.getLogger(__name__)


class KafkaLogConsumer:
    """A :class:`~runstream.log.base.LogConsumer` in a Kafka consumer group."""

    def __init__(self, topics: KafkaTopics, group_id: str, names: list[str]) -> None:
        self._topics = topics
        self.group_id = group_id
        self.names = names
        topics.ensure(names)
        s = topics.settings
        try:
            self._consumer = KafkaConsumer(
                **client_config(topics.bootstrap, s),
                group_id=group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=s.session_timeout_ms,
                heartbeat_interval_ms=max(500, s.session_timeout_ms // 4),
                max_poll_records=s.max_poll_records,
                max_partition_fetch_bytes=s.max_message_bytes,
                fetch_max_bytes=max(64 << 20, s.max_message_bytes),
            )
            self._consumer.subscribe(names)
        except KafkaError as e:
            raise EventLogError(
                f"cannot join consumer group {group_id} on Kafka at "
                f"{','.join(topics.bootstrap)}: {e}; check that the brokers are up"
            ) from e
        logger.info("joined consumer group=%s topics=%s", group_id, names)

    def poll(self, max_records: int, timeout_s: float) -> list[LogRecord]:
        try:
            batches = self._consumer.poll(
                timeout_ms=int(timeout_s * 1000),
                max_records=min(max_records, self._topics.settings.max_poll_records),
            )
        except KafkaError as e:
            raise EventLogError(
                f"polling {self.names} for group {self.group_id} failed: {e}"
            ) from e
        records = [
            LogRecord(
                Position(m.topic, m.partition, m.offset),
                m.key.decode() if m.key is not None else "",
                m.value,
                m.timestamp,
            )
            for messages in batches.values()
            for m in messages
        ]
        if records:
            logger.debug("polled records=%d group=%s", len(records), self.group_id)
        return records

    def commit(self, positions: Sequence[Position]) -> None:
        assigned = self._consumer.assignment()
        offsets = {}
        for p in positions:
            tp = TopicPartition(p.topic, p.partition)
            if tp in assigned:
                offsets[tp] = OffsetAndMetadata(p.offset + 1, "", -1)
            else:
                logger.debug("not committing lost partition %s/%d", *tp)
        if not offsets:
            return
        try:
            self._consumer.commit(offsets)
        except (CommitFailedError, RebalanceInProgressError) as e:
            logger.warning(
                "commit skipped by a rebalance of group %s; the new owners re-read "
                "those records and re-apply them idempotently: %s",
                self.group_id,
                e,
            )
        except KafkaError as e:
            raise EventLogError(
                f"committing offsets of group {self.group_id} failed: {e}"
            ) from e

    def seek(self, position: Position) -> None:
        """Read ``position`` next (used to re-read after a failed write)."""
        tp = TopicPartition(position.topic, position.partition)
        self._consumer.seek(tp, position.offset)

    def assignment(self) -> frozenset[tuple[str, int]]:
        """The partitions this member owns now."""
        return frozenset((tp.topic, tp.partition) for tp in self._consumer.assignment())

    def lag(self) -> dict[tuple[str, int], int]:
        return self._topics.group_lag(self.group_id, self.names)

    def close(self) -> None:
        try:
            self._consumer.close(autocommit=False)
        except KafkaError:
            logger.debug("closing the Kafka consumer failed", exc_info=True)
        logger.info("left consumer group=%s", self.group_id)
