"""``POST /api/v1/events``: the HTTP transport's way onto the event log.

A training machine that reaches only the API appends here (the SDK does it when
``RUNSTREAM_TRACKING_URI`` is the API's address). Each record must be a runstream
event on its own topic with its own key, so nothing undecodable enters the log
through this door.
"""

from __future__ import annotations

import base64
import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from runstream.api.deps import ServiceDep
from runstream.api.models import RequestBody
from runstream.errors import EventDecodeError, EventLogError, InvalidInputError
from runstream.events import DEAD_LETTER_TOPIC, decode
from runstream.log import Record

logger = logging.getLogger(__name__)

router = APIRouter(tags=["events"])


class IncomingRecord(RequestBody):
    topic: str
    key: str
    value: str = Field(description="the Avro single-object frame, base64")


class AppendRequest(RequestBody):
    records: list[IncomingRecord]


class AppendedPosition(BaseModel):
    topic: str
    partition: int
    offset: int


class AppendResponse(BaseModel):
    positions: list[AppendedPosition] = Field(
        description="where each record landed, in the order sent"
    )


class EndOffsets(BaseModel):
    topic: str
    end_offsets: dict[int, int] = Field(
        description="per partition, the offset the next record will get"
    )


@router.post(
    "/events",
    responses={
        400: {"description": "a record is not a runstream event for its topic"},
        503: {"description": "the event log is unavailable; retry"},
    },
)
def append_events(service: ServiceDep, body: AppendRequest) -> AppendResponse:
    """Append a batch of encoded events to the log, in order."""
    records = [_checked(i, r) for i, r in enumerate(body.records)]
    try:
        positions = service.log.append(records)
    except EventLogError as e:
        logger.warning("append through the API failed records=%d: %s", len(records), e)
        raise HTTPException(status_code=503, detail=f"{e}; retry later") from e
    logger.debug("appended records=%d through the API", len(records))
    return AppendResponse(
        positions=[
            AppendedPosition(topic=p.topic, partition=p.partition, offset=p.offset)
            for p in positions
        ]
    )


@router.get("/events/end-offsets")
def end_offsets(
    service: ServiceDep,
    topic: Annotated[str, Query(description="a topic of the event log")],
) -> EndOffsets:
    """The next offset of each partition of ``topic``."""
    try:
        ends = service.log.end_offsets(topic)
    except EventLogError as e:
        raise HTTPException(status_code=503, detail=f"{e}; retry later") from e
    return EndOffsets(topic=topic, end_offsets=ends)


def _checked(index: int, incoming: IncomingRecord) -> Record:
    try:
        value = base64.b64decode(incoming.value, validate=True)
        event = decode(value)
    # binascii.Error is a ValueError; a plain ValueError is a non-ASCII value.
    except (ValueError, EventDecodeError) as e:
        raise InvalidInputError(
            f"record {index} is not a base64 runstream event: {e}; send what "
            "runstream's codec encodes"
        ) from e
    if incoming.topic == DEAD_LETTER_TOPIC or incoming.topic != event.topic:
        raise InvalidInputError(
            f"record {index} is a {event.event_type}, which belongs on topic "
            f"{event.topic!r}, not {incoming.topic!r}"
        )
    if incoming.key != event.key:
        raise InvalidInputError(
            f"record {index} has key {incoming.key!r} but its "
            f"{event.event_type} is keyed {event.key!r}"
        )
    return Record(incoming.topic, incoming.key, value)
