"""Events: the immutable facts on the log, and their Avro encoding."""

from runstream.events.codec import decode, encode
from runstream.events.model import (
    DEAD_LETTER_TOPIC,
    REGISTRY_TOPIC,
    TRACKING_TOPIC,
    Event,
    now_ms,
)

__all__ = [
    "DEAD_LETTER_TOPIC",
    "REGISTRY_TOPIC",
    "TRACKING_TOPIC",
    "Event",
    "decode",
    "encode",
    "now_ms",
]
