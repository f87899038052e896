import io
import json
import math
from array import array
from importlib import resources
from typing import Any

import fastavro
import pytest
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

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


def _frame_with(schema_file: str, record: dict[str, object]) -> bytes:
    """A frame written with ``schema_file`` (under schemas/), as a runstream
    from that schema's time wrote it."""
    folder = resources.files("runstream.events") / "schemas"
    named: dict[str, object] = {}
    parse_schema(
        json.loads((folder / "Envelope.avsc").read_text()), named_schemas=named
    )
    old = parse_schema(
        json.loads((folder / schema_file).read_text()), named_schemas=named
    )
    digest = int(fingerprint(to_parsing_canonical_form(old), "CRC-64-AVRO"), 16)
    record = dict(record)
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
    return MAGIC + digest.to_bytes(8, "little") + body.getvalue()


def test_events_written_before_rank_read_with_rank_zero() -> None:
    event = decode(_frame_with("history/MetricsLogged.1.avsc", metrics_event().payload))
    assert event.payload["rank"] == 0
    assert event.payload["names"] == ["loss", "acc"]
    assert decode(encode(metrics_event())).payload["rank"] == 0


def _plain(payload: dict[str, Any]) -> dict[str, Any]:
    """Packed columns decode to ``array``s; as lists, to compare with what was sent."""
    return {k: list(v) if isinstance(v, array) else v for k, v in payload.items()}


def test_events_written_before_packing_read_as_the_same_lists() -> None:
    payload = {**metrics_event().payload, "rank": 3}
    old = decode(_frame_with("history/MetricsLogged.2.avsc", payload)).payload
    new = decode(encode(Event("MetricsLogged", payload))).payload
    assert isinstance(new["values"], array)  # the projector's numpy views need it
    old, new = _plain(old), _plain(new)
    for field in ("name_index", "steps", "timestamps", "rank", "names"):
        assert old[field] == new[field] == payload[field]
    assert old["values"][0] == new["values"][0] == 0.5
    assert math.isnan(old["values"][1]) and math.isnan(new["values"][1])


def test_packed_columns_keep_extreme_numbers_exactly() -> None:
    payload = {
        "run_id": "r",
        "names": ["k"],
        "name_index": [0, 0, 0],
        "values": [-0.0, 5e-324, 1.7976931348623157e308],
        "steps": [-(2**63), 0, 2**63 - 1],
        "timestamps": [0, 1, 2**62],
        "rank": 0,
    }
    back = _plain(decode(encode(Event("MetricsLogged", payload))).payload)
    assert back == payload
    assert math.copysign(1.0, back["values"][0]) == -1.0


@pytest.mark.parametrize(
    "column, bad",
    [
        ("steps", [2**63]),
        ("values", ["0.5"]),
        ("name_index", [2**31]),
        ("steps", [1.5]),
    ],
)
def test_numbers_that_do_not_fit_their_column_are_refused(
    column: str, bad: list[object]
) -> None:
    payload = {
        "run_id": "r", "names": ["k"], "name_index": [0], "values": [1.0],
        "steps": [0], "timestamps": [0], "rank": 0,
    }  # fmt: skip
    with pytest.raises(InvalidInputError, match="MetricsLogged"):
        encode(Event("MetricsLogged", {**payload, column: bad}))


def test_a_packed_column_of_partial_items_is_a_decode_error() -> None:
    record = {
        "run_id": "r", "names": ["k"], "name_index": b"\0\0\0\0",
        "values": b"\0" * 7, "steps": b"\0" * 8, "timestamps": b"\0" * 8, "rank": 0,
    }  # fmt: skip
    with pytest.raises(EventDecodeError, match="column values holds 7 bytes"):
        decode(_frame_with("MetricsLogged.avsc", record))
