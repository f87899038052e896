"""The event decoder and the consumer against bytes that are not quite events.

The log takes records from anyone, so ``decode`` must answer anything with an
event or an ``EventDecodeError`` that says what was wrong, and the consumer must
send what it cannot use to the dead-letter topic and go on, never stop its
partition.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_seed import seed_runs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runstream
from runstream.consumers.service import ProjectionService
from runstream.errors import EventDecodeError
from runstream.events import DEAD_LETTER_TOPIC, REGISTRY_TOPIC, TRACKING_TOPIC, decode
from runstream.events.codec import HEADER_SIZE, MAGIC
from runstream.log import LogRecord, Record, SqliteEventLog

# What an EventDecodeError's message must name: the frame's marker, its schema
# fingerprint, or the event type whose body is corrupt.
EXPLAINED = ("marker", "fingerprint", "corrupt", "body", "bytes")


@pytest.fixture
def frames(log_path: Path) -> list[LogRecord]:
    """Real frames of every kind the SDK writes for a run: experiment, run start,
    params, tags, metric batches, an artifact and the status change."""
    seed_runs()
    runstream.flush()
    log = SqliteEventLog(log_path)
    found = []
    for topic in (TRACKING_TOPIC, REGISTRY_TOPIC):
        for partition in log.end_offsets(topic):
            found.extend(log.read(topic, partition, 0, 10_000))
    kinds = {decode(r.value).event_type for r in found}
    assert {"RunStarted", "MetricsLogged", "ParamsLogged", "ArtifactLogged"} <= kinds
    return found


def varint(n: int) -> bytes:
    """Avro's zig-zag varint, for splicing lengths into a body."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


@st.composite
def mutated(draw: st.DrawFn, frames: list[LogRecord]) -> tuple[LogRecord, bytes]:
    """A real frame, broken in one of the ways a disk, a network or a hostile
    producer breaks bytes."""
    record = draw(st.sampled_from(frames))
    frame = record.value
    at = draw(st.integers(0, len(frame) - 1))
    how = draw(
        st.sampled_from(
            ["truncate", "flip", "byte", "huge_length", "fingerprint", "junk"]
        )
    )
    if how == "truncate":
        broken = frame[:at]
    elif how == "flip":
        bit = 1 << draw(st.integers(0, 7))
        broken = frame[:at] + bytes([frame[at] ^ bit]) + frame[at + 1 :]
    elif how == "byte":
        broken = frame[:at] + bytes([draw(st.integers(0, 255))]) + frame[at + 1 :]
    elif how == "huge_length":
        # A string, bytes or array length of up to 2**62 where the body was.
        at = max(at, HEADER_SIZE)
        size = draw(st.sampled_from([2**31, 2**62, -(2**62), -1, 10**12]))
        broken = frame[:at] + varint(size) + frame[at:]
    elif how == "fingerprint":
        broken = MAGIC + draw(st.binary(min_size=8, max_size=8)) + frame[HEADER_SIZE:]
    else:
        broken = frame + draw(st.binary(min_size=1, max_size=16))
    return record, broken


def decodes_or_explains(frame: bytes) -> bool:
    """True if ``frame`` decoded; False if it raised a clear EventDecodeError.
    Any other exception fails the test."""
    try:
        decode(frame)
    except EventDecodeError as e:
        message = str(e)
        assert any(word in message for word in EXPLAINED), message
        return False
    return True


@given(st.binary(max_size=200))
@settings(max_examples=500, deadline=None)
def test_arbitrary_bytes_never_crash_the_decoder(data: bytes) -> None:
    decodes_or_explains(data)
    decodes_or_explains(MAGIC + data)


@given(data=st.data())
@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_broken_frames_decode_or_raise_event_decode_error(
    frames: list[LogRecord], data: st.DataObject
) -> None:
    _, broken = data.draw(mutated(frames))
    decodes_or_explains(broken)


def test_a_frame_with_bytes_after_its_body_is_refused(
    frames: list[LogRecord],
) -> None:
    """Extra bytes mean the frame was spliced or its lengths corrupted."""
    with pytest.raises(EventDecodeError, match="after the body"):
        decode(frames[0].value + b"\x00junk")


def test_a_frame_with_an_unknown_fingerprint_names_it(
    frames: list[LogRecord],
) -> None:
    frame = MAGIC + b"\x01" * 8 + frames[0].value[HEADER_SIZE:]
    with pytest.raises(EventDecodeError, match="0101010101010101"):
        decode(frame)


@given(data=st.data())
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_consumer_dead_letters_broken_records_and_goes_on(
    frames: list[LogRecord], service: ProjectionService, data: st.DataObject
) -> None:
    """A broken record followed by a good one: the consumer applies or refuses
    the broken one, applies the good one, and ends with no lag."""
    record, broken = data.draw(mutated(frames))
    topic = record.position.topic
    decodable = decodes_or_explains(broken)
    letters_before = service.runner.dead_lettered

    service.log.append(
        [Record(topic, record.key, broken), Record(topic, record.key, record.value)]
    )
    service.catch_up()

    health = service.health()
    assert health["total_lag"] == 0, health
    assert service.runner.last_error is None
    if not decodable:
        assert service.runner.dead_lettered == letters_before + 1
        letters = service.log.end_offsets(DEAD_LETTER_TOPIC)
        assert sum(letters.values()) >= 1


def test_dead_letter_names_the_reason_and_position(
    frames: list[LogRecord], service: ProjectionService
) -> None:
    record = frames[0]
    service.log.append([Record(record.position.topic, record.key, b"\xc3\x01junk")])
    service.catch_up()

    letters = []
    for partition in service.log.end_offsets(DEAD_LETTER_TOPIC):
        letters += service.log.read(DEAD_LETTER_TOPIC, partition, 0, 100)
    assert len(letters) == 1
    letter = json.loads(letters[0].value)
    assert "C3 01" in letter["reason"] or "frame" in letter["reason"]
    assert letter["topic"] == record.position.topic
    assert letter["key"] == record.key
