"""Kafka locations and settings become kafka-python's configuration."""

from __future__ import annotations

import pytest

from runstream.errors import InvalidInputError
from runstream.log import open_log
from runstream.log.kafka import KafkaEventLog
from runstream.log.kafka_admin import client_config, parse_bootstrap
from runstream.settings import KafkaSettings


def test_a_location_lists_its_brokers():
    assert parse_bootstrap("kafka://a:9092,b:9093/") == ["a:9092", "b:9093"]
    for bad in ("kafka://", "kafka://host-without-port"):
        with pytest.raises(InvalidInputError, match="kafka://host:port"):
            parse_bootstrap(bad)


def test_sasl_and_tls_settings_pass_through():
    settings = KafkaSettings(
        security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
        sasl_username="tracker", sasl_password="s3cret", ssl_cafile="/ca.pem",
    )  # fmt: skip
    config = client_config(["b:9093"], settings)
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert config["sasl_plain_username"] == "tracker"
    assert config["sasl_plain_password"] == "s3cret"
    assert config["ssl_cafile"] == "/ca.pem"
    assert "ssl_certfile" not in config
    assert "s3cret" not in repr(settings)


def test_the_producer_is_idempotent_compressed_and_bounded_in_time():
    log = KafkaEventLog("kafka://127.0.0.1:1", settings=KafkaSettings())
    config = log._producer_config()
    assert config["acks"] == "all" and config["enable_idempotence"]
    assert config["compression_type"] == "lz4"
    assert config["max_request_size"] == 16 << 20
    assert config["max_block_ms"] <= config["delivery_timeout_ms"]


def test_unknown_schemes_are_refused():
    with pytest.raises(InvalidInputError, match="kafka://host:port"):
        open_log("amqp://broker/queue")
