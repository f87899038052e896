import math

import pytest

from runstream.errors import EventDecodeError, InvalidInputError
from runstream.events import Event, decode, encode
from runstream.events.codec import MAGIC


def metrics_event() -> Event:
    return Event(
        "MetricsLogged",
        {
            "run_id": "r1",
            "names": ["loss", "acc"],
            "name_index": [0, 1, 0],
            "values": [0.5, float("nan"), float("inf")],
            "steps": [1, 1, 2],
            "timestamps": [10, 10, 20],
        },
        producer_id="p",
        sequence=7,
    )


def test_round_trip_keeps_envelope_and_columns() -> None:
    event = metrics_event()
    back = decode(encode(event))
    assert back.event_id == event.event_id
    assert back.sequence == 7 and back.producer_id == "p"
    assert back.payload["names"] == ["loss", "acc"]
    assert back.payload["values"][0] == 0.5
    assert math.isnan(back.payload["values"][1])
    assert back.payload["values"][2] == float("inf")
    assert back.key == "r1"


def test_frame_is_single_object_encoding() -> None:
    frame = encode(metrics_event())
    assert frame[:2] == MAGIC
    assert len(frame) > 10


@pytest.mark.parametrize(
    "frame",
    [b"", b"junk", MAGIC + b"\x00" * 8 + b"body", encode(metrics_event())[:14]],
)
def test_bad_frames_raise_decode_error(frame: bytes) -> None:
    with pytest.raises(EventDecodeError):
        decode(frame)


def test_payload_that_breaks_the_schema_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="ParamsLogged"):
        encode(Event("ParamsLogged", {"run_id": "r", "keys": [1], "values": ["x"]}))


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown event type"):
        encode(Event("RunTeleported", {"run_id": "r"}))


def test_events_written_with_an_older_schema_read_in_the_current_shape() -> None:
    """MetricsLogged gained ``rank``; events from before it decode with rank 0."""
    import io
    import json
    from importlib import resources

    import fastavro
    from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

    folder = resources.files("runstream.events") / "schemas"
    named: dict[str, object] = {}
    parse_schema(
        json.loads((folder / "Envelope.avsc").read_text()), named_schemas=named
    )
    old = parse_schema(
        json.loads((folder / "history" / "MetricsLogged.1.avsc").read_text()),
        named_schemas=named,
    )
    digest = int(fingerprint(to_parsing_canonical_form(old), "CRC-64-AVRO"), 16)
    record = dict(metrics_event().payload)
    record["envelope"] = {
        "event_id": "e",
        "event_type": "MetricsLogged",
        "schema_version": 1,
        "occurred_at": 1,
        "producer_id": "p",
        "sequence": 0,
    }
    body = io.BytesIO()
    fastavro.schemaless_writer(body, old, record)
    frame = MAGIC + digest.to_bytes(8, "little") + body.getvalue()

    event = decode(frame)
    assert event.payload["rank"] == 0
    assert event.payload["names"] == ["loss", "acc"]
    assert decode(encode(metrics_event())).payload["rank"] == 0
