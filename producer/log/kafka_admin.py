"""What the Kafka transport shares: client settings, topics, offsets and lag.

Topics are created on first use with the configured partitions, ``retention.ms=-1``
(the log is the system of record, so a replay can always start at the beginning)
and room for the largest event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError, TopicAlreadyExistsError

from runstream.errors import EventLogError, InvalidInputError
from runstream.settings import KafkaSettings

logger = logging.getLogger(__name__)

SCHEME = "kafka://"


def parse_bootstrap(location: str) -> list[str]:
    """``kafka://host:port[,host:port...]`` as a list of ``host:port``."""
    hosts = [h.strip() for h in location.removeprefix(SCHEME).split(",")]
    hosts = [h.rstrip("/") for h in hosts if h]
    if not hosts or any(":" not in h for h in hosts):
        raise InvalidInputError(
            f"Kafka location {location!r} must list brokers as "
            "kafka://host:port[,host:port...], e.g. kafka://127.0.0.1:9092"
        )
    return hosts


def client_config(bootstrap: Sequence[str], settings: KafkaSettings) -> dict[str, Any]:
    """Connection settings every kafka-python client here takes alike."""
    config: dict[str, Any] = {
        "bootstrap_servers": list(bootstrap),
        "client_id": "runstream",
        "request_timeout_ms": settings.request_timeout_ms,
        "reconnect_backoff_max_ms": 2000,
        "security_protocol": settings.security_protocol,
    }
    if settings.sasl_mechanism:
        config["sasl_mechanism"] = settings.sasl_mechanism
        config["sasl_plain_username"] = settings.sasl_username
        if settings.sasl_password is not None:
            password = settings.sasl_password.get_secret_value()
            config["sasl_plain_password"] = password
            _redact_in_kafka_logs(password)
    for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        if getattr(settings, name):
            config[name] = getattr(settings, name)
    return config


class _RedactSecrets(logging.Filter):
    """Masks known secrets in kafka-python's log records: its admin client logs
    its whole configuration, SASL password included, at DEBUG."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = [secret for secret in self.secrets if secret in message]
        if hidden:
            for secret in hidden:
                message = message.replace(secret, "**********")
            record.msg, record.args = message, None
        return True


_REDACT = _RedactSecrets()


def _redact_in_kafka_logs(secret: str) -> None:
    """Mask ``secret`` in every kafka-python logger (a filter only sees the
    records of the logger it is attached to, not of its children)."""
    if not secret:
        return
    _REDACT.secrets.add(secret)
    names = [name for name in logging.root.manager.loggerDict if name == "kafka"]
    names += [n for n in logging.root.manager.loggerDict if n.startswith("kafka.")]
    for name in names:
        kafka_logger = logging.getLogger(name)
        if _REDACT not in kafka_logger.filters:
            kafka_logger.addFilter(_REDACT)


class KafkaTopics:
    """Topic creation, end offsets and group lag, through one admin client."""

    def __init__(
        self, bootstrap: Sequence[str], settings: KafkaSettings, partitions: int
    ) -> None:
        self.bootstrap = list(bootstrap)
        self.settings = settings
        self.partitions = partitions
        self._admin: KafkaAdminClient | None = None
        self._ready: dict[str, int] = {}
        self._lock = threading.Lock()

    def _client(self) -> KafkaAdminClient:
        if self._admin is None:
            config = client_config(self.bootstrap, self.settings)
            self._admin = KafkaAdminClient(**config)
        return self._admin

    def _failed(self, what: str, e: Exception) -> EventLogError:
        # A broken admin client is dropped, so the next call connects afresh.
        self.close()
        return EventLogError(
            f"Kafka at {','.join(self.bootstrap)} failed to {what}: {e}; check that "
            "the brokers are up and RUNSTREAM_KAFKA_* settings match them"
        )

    def ensure(self, topics: Iterable[str]) -> None:
        """Create each topic that does not exist yet."""
        with self._lock:
            missing = sorted(set(topics) - set(self._ready))
            if not missing:
                return
            try:
                self._create(missing)
                found = self._client().describe_topics(missing)
            except KafkaError as e:
                raise self._failed(f"create topics {missing}", e) from e
            for topic in found:
                self._ready[topic["name"]] = len(topic["partitions"])

    def _create(self, topics: list[str]) -> None:
        configs = {
            "retention.ms": "-1",
            "max.message.bytes": str(self.settings.max_message_bytes),
        }
        admin = self._client()
        existing = set(admin.list_topics())
        wanted = {
            topic: {
                "num_partitions": self.partitions,
                "replication_factor": self.settings.replication_factor,
                "configs": configs,
            }
            for topic in topics
            if topic not in existing
        }
        if not wanted:
            return
        try:
            admin.create_topics(wanted, wait_for_metadata=True)
        except TopicAlreadyExistsError:
            return  # another process created it between our look and our create
        logger.info(
            "created topics %s partitions=%d retention.ms=-1",
            sorted(wanted),
            self.partitions,
        )

    def partitions_of(self, topic: str) -> int:
        self.ensure([topic])
        return self._ready[topic]

    def end_offsets(self, topic: str) -> dict[int, int]:
        return self._offsets(topic, range(self.partitions_of(topic)), OffsetSpec.LATEST)

    def _offsets(
        self, topic: str, partitions: Iterable[int], spec: OffsetSpec
    ) -> dict[int, int]:
        wanted = {TopicPartition(topic, p): spec for p in partitions}
        if not wanted:
            return {}
        with self._lock:
            try:
                found = self._client().list_partition_offsets(wanted)
            except KafkaError as e:
                raise self._failed(f"list offsets of {topic}", e) from e
        return {tp.partition: found[tp].offset for tp in wanted}

    def group_lag(
        self, group_id: str, topics: Sequence[str]
    ) -> dict[tuple[str, int], int]:
        """Records the whole group has not committed yet, per (topic, partition);
        any member (or none) can report it."""
        with self._lock:
            try:
                groups = self._client().list_group_offsets({group_id: None})
            except KafkaError as e:
                raise self._failed(f"read the offsets of group {group_id}", e) from e
        committed = {
            (tp.topic, tp.partition): meta.offset
            for tp, meta in groups.get(group_id, {}).items()
            if meta.offset >= 0
        }
        lag: dict[tuple[str, int], int] = {}
        for topic in topics:
            ends = self.end_offsets(topic)
            never = [p for p in ends if (topic, p) not in committed]
            starts = self._offsets(topic, never, OffsetSpec.EARLIEST)
            for partition, end in ends.items():
                done = committed.get((topic, partition), starts.get(partition, 0))
                lag[(topic, partition)] = max(0, end - done)
        return lag

    def close(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            except KafkaError:
                logger.debug("closing the Kafka admin client failed", exc_info=True)
            self._admin = None
