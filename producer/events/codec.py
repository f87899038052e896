"""Avro encoding of events, framed with Avro single-object encoding.

Each frame is ``C3 01`` + the 8-byte little-endian CRC-64-AVRO fingerprint of the
writer schema + the Avro body, so any consumer can find the schema that wrote it.
Schemas an event type had before its current one stay in ``schemas/history/``
(``<EventType>.<n>.avsc``): events they wrote are read through Avro's schema
resolution into the current shape, new fields taking their defaults. Large number
columns travel packed (``packing.py``); decoding hands them back as lists, so an
event's payload has the same shape whichever schema wrote it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from runstream.errors import EventDecodeError, InvalidInputError
from runstream.events.model import KEY_FIELDS, Event
from runstream.events.packing import PACKED_COLUMNS, pack, unpack, unpacked_schema

MAGIC = b"\xc3\x01"
HEADER_SIZE = len(MAGIC) + 8


@dataclass(frozen=True)
class _Schema:
    name: str
    parsed: Any
    fingerprint: bytes
    # The current schema, for frames written with an older one; None if current.
    reader: Any = None
    # Packed columns this schema wrote, to unpack after reading: name -> typecode.
    packed: Mapping[str, str] = field(default_factory=dict)


def _load_schemas() -> tuple[dict[str, _Schema], dict[bytes, _Schema]]:
    folder = resources.files("runstream.events") / "schemas"
    named: dict[str, Any] = {}
    envelope = json.loads((folder / "Envelope.avsc").read_text())
    parse_schema(envelope, named_schemas=named)

    by_name: dict[str, _Schema] = {}
    # What frames of an older schema resolve into: the current schema, with its
    # packed columns as the arrays older schemas had (they are unpacked anyway).
    readers: dict[str, Any] = {}
    for event_type in KEY_FIELDS:
        raw = json.loads((folder / f"{event_type}.avsc").read_text())
        packed = PACKED_COLUMNS.get(event_type, {})
        current = _fingerprinted(event_type, raw, named)
        by_name[event_type] = _Schema(
            event_type, current.parsed, current.fingerprint, packed=packed
        )
        readers[event_type] = (
            parse_schema(unpacked_schema(raw, packed), named_schemas=dict(named))
            if packed
            else current.parsed
        )
    by_fingerprint = {s.fingerprint: s for s in by_name.values()}
    for entry in (folder / "history").iterdir():
        if not entry.name.endswith(".avsc"):
            continue
        event_type = entry.name.split(".")[0]
        raw = json.loads(entry.read_text())
        older = _fingerprinted(event_type, raw, named)
        by_fingerprint[older.fingerprint] = _Schema(
            event_type, older.parsed, older.fingerprint, readers[event_type]
        )
    return by_name, by_fingerprint


def _fingerprinted(event_type: str, raw: Any, named: dict[str, Any]) -> _Schema:
    parsed = parse_schema(raw, named_schemas=dict(named))
    canonical = to_parsing_canonical_form(parsed)
    digest = int(fingerprint(canonical, "CRC-64-AVRO"), 16).to_bytes(8, "little")
    return _Schema(event_type, parsed, digest)


_BY_NAME, _BY_FINGERPRINT = _load_schemas()


def encode(event: Event) -> bytes:
    """Encode one event as an Avro single-object frame."""
    schema = _BY_NAME.get(event.event_type)
    if schema is None:
        raise InvalidInputError(
            f"unknown event type {event.event_type!r}; "
            f"known types are {sorted(_BY_NAME)}"
        )
    record = dict(event.payload)
    record["envelope"] = {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "occurred_at": event.occurred_at,
        "producer_id": event.producer_id,
        "sequence": event.sequence,
    }
    buffer = io.BytesIO()
    buffer.write(MAGIC)
    buffer.write(schema.fingerprint)
    try:
        for name, typecode in schema.packed.items():
            record[name] = pack(typecode, record[name])
        fastavro.schemaless_writer(
            buffer, schema.parsed, record, strict_allow_default=True
        )
    except (ValueError, TypeError, KeyError, OverflowError) as e:
        raise InvalidInputError(
            f"{event.event_type} does not fit its schema: {e}; "
            "check the types of the fields passed"
        ) from e
    return buffer.getvalue()


def decode(frame: bytes) -> Event:
    """Decode one single-object frame; raise EventDecodeError on anything else."""
    if len(frame) < HEADER_SIZE or frame[:2] != MAGIC:
        raise EventDecodeError(
            "not an Avro single-object frame (missing the C3 01 marker)"
        )
    schema = _BY_FINGERPRINT.get(frame[2:HEADER_SIZE])
    if schema is None:
        raise EventDecodeError(
            f"unknown writer schema fingerprint {frame[2:HEADER_SIZE].hex()}; "
            "the event was written by a newer runstream, upgrade the consumers"
        )
    body = io.BytesIO(frame[HEADER_SIZE:])
    try:
        record = fastavro.schemaless_reader(body, schema.parsed, schema.reader)
    except Exception as e:  # fastavro raises many types on truncated input
        raise EventDecodeError(f"corrupt {schema.name} body: {e!r}") from e
    # Bytes past the record mean a corrupted length or two frames spliced together:
    # what was read is not what was written.
    left = len(frame) - HEADER_SIZE - body.tell()
    if left:
        raise EventDecodeError(
            f"corrupt {schema.name} body: {left} bytes left after the body; the "
            "frame was truncated, spliced or its lengths corrupted"
        )
    if not isinstance(record, dict):
        raise EventDecodeError(f"{schema.name} body did not decode to a record")
    for name, typecode in schema.packed.items():
        try:
            record[name] = unpack(typecode, record[name])
        except ValueError as e:
            raise EventDecodeError(
                f"corrupt {schema.name} body: column {name} holds "
                f"{len(record[name])} bytes, not whole {typecode!r} items"
            ) from e
    envelope = record.pop("envelope")
    return Event(
        event_type=schema.name,
        payload=record,
        producer_id=envelope["producer_id"],
        sequence=envelope["sequence"],
        event_id=envelope["event_id"],
        occurred_at=envelope["occurred_at"],
        schema_version=envelope["schema_version"],
    )
