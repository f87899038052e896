"""Packed columns: arrays of numbers carried as little-endian machine bytes.

Avro encodes an array item by item (a varint per number), and fastavro decodes it
the same way, which made decoding most of a consumer's work for large metric
batches. A packed column is one Avro ``bytes`` value that the standard library's
``array`` reads and writes in a single call; decoded, it stays an ``array``.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Mapping
from typing import Any

# Per event type, its packed columns and their array typecodes: int32, float64,
# int64. The Avro array item type each had before packing, for older frames.
PACKED_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "MetricsLogged": {
        "name_index": "i",
        "values": "d",
        "steps": "q",
        "timestamps": "q",
    },
}
AVRO_ITEMS: Mapping[str, str] = {"i": "int", "d": "double", "q": "long"}

# The wire is little-endian whatever the machine; 'i' must be 4 bytes for that.
_SWAP = sys.byteorder == "big"
if array("i").itemsize != 4:  # pragma: no cover - no such platform runs CPython 3.11
    raise ImportError("runstream needs a platform whose C int is 4 bytes")


def pack(typecode: str, values: Iterable[Any]) -> bytes:
    """``values`` as packed bytes; TypeError or OverflowError when one does not
    fit the column's type."""
    column = array(typecode, values)
    if _SWAP:
        column.byteswap()
    return column.tobytes()


def unpack(typecode: str, data: bytes) -> array[Any]:
    """Packed bytes as an ``array``; ValueError when they are not whole items.
    Not a list: the projector hands the column's buffer to numpy and Arrow as is,
    where a list would make a Python number of every point and back again."""
    column = array(typecode)
    column.frombytes(data)
    if _SWAP:
        column.byteswap()
    return column


def unpacked_schema(raw: dict[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """A schema with its packed columns as the Avro arrays they were before
    packing: what frames written before packing resolve into."""
    fields = []
    for field in raw["fields"]:
        if field["name"] in columns:
            items = AVRO_ITEMS[columns[field["name"]]]
            field = {"name": field["name"], "type": {"type": "array", "items": items}}
        fields.append(field)
    return {**raw, "fields": fields}
