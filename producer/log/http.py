"""Appending through the query API (``RUNSTREAM_TRACKING_URI=http(s)://api``).

For training machines that can reach the API but not the brokers: each append is one
``POST /api/v1/events``, and the API appends the records to its own event log. The
transport only appends; consumers read the log the API writes to.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from typing import Any

import httpx

from runstream.auth import bearer_headers
from runstream.errors import (
    AuthError,
    EventLogError,
    InvalidInputError,
    PartialAppendError,
)
from runstream.log.base import LogConsumer, Position, Record
from runstream.settings import load_settings

logger = logging.getLogger(__name__)

EVENTS_PATH = "/api/v1/events"
TIMEOUT_S = 30.0
# Record bytes per POST: far below the API's RUNSTREAM_API_MAX_BODY_BYTES (64 MiB)
# after base64, so a large batch is never refused as a whole.
MAX_POST_BYTES = 8 << 20
# Refusals that pass: the API or a proxy before it is busy, not the request wrong.
RETRYABLE_4XX = frozenset({408, 425, 429})


class HttpEventLog:
    """An :class:`~runstream.log.base.EventLog` that appends through the API."""

    def __init__(self, location: str, timeout_s: float = TIMEOUT_S) -> None:
        self.base_url = location.rstrip("/")
        headers = bearer_headers(load_settings().token)
        self._client = httpx.Client(
            base_url=self.base_url, timeout=timeout_s, headers=headers
        )

    def __repr__(self) -> str:
        return f"HttpEventLog({self.base_url})"

    def append(self, records: Sequence[Record]) -> list[Position]:
        positions: list[Position] = []
        for chunk in _chunks(records, MAX_POST_BYTES):
            try:
                positions.extend(self._post(chunk))
            except (EventLogError, AuthError, InvalidInputError) as e:
                if not positions:
                    raise
                # Earlier POSTs are on the log: only the rest may be sent again. A
                # refusal comes back on the next try, with nothing appended.
                appended: list[Position | None] = [*positions]
                appended += [None] * (len(records) - len(positions))
                raise PartialAppendError(str(e), appended) from e
        logger.debug("appended records=%d through %s", len(records), self.base_url)
        return positions

    def _post(self, records: Sequence[Record]) -> list[Position]:
        body = {
            "records": [
                {
                    "topic": r.topic,
                    "key": r.key,
                    "value": base64.b64encode(r.value).decode(),
                }
                for r in records
            ]
        }
        answer = self._call("POST", EVENTS_PATH, json=body)
        return [Position(**p) for p in answer["positions"]]

    def end_offsets(self, topic: str) -> dict[int, int]:
        answer = self._call(
            "GET", f"{EVENTS_PATH}/end-offsets", params={"topic": topic}
        )
        return {int(p): int(o) for p, o in answer["end_offsets"].items()}

    def consumer(self, group_id: str, topics: Sequence[str]) -> LogConsumer:
        raise InvalidInputError(
            f"the HTTP transport {self.base_url} only appends; run consumers against "
            "the log the API writes to (its RUNSTREAM_TRACKING_URI, e.g. kafka://…)"
        )

    def _call(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self._client.request(method, path, json=json, params=params)
        except httpx.HTTPError as e:
            raise EventLogError(
                f"cannot reach the runstream API at {self.base_url}: {e}; check "
                "RUNSTREAM_TRACKING_URI and that `runstream server` is up"
            ) from e
        if response.is_error:
            raise _refusal(self.base_url, method, path, response)
        answer: dict[str, Any] = response.json()
        return answer

    def close(self) -> None:
        self._client.close()


def _refusal(
    base_url: str, method: str, path: str, response: httpx.Response
) -> Exception:
    """The error for an answer of 400 or more, by whether sending again can help.

    401/403 (no token, an unknown one, or one without the write role) and the
    other 4xx stay the same however often they are sent, so they are not
    EventLogError, which the courier retries until the log is back: it spills
    the events instead and says what to fix. 413 should not happen, as appends
    are cut to MAX_POST_BYTES; if a proxy allows less, retrying cannot help either.
    """
    status = response.status_code
    # The API's message names the role and the variable to set; the request's
    # Authorization header is never part of it.
    said = f"{base_url} refused {method} {path} with {status}: {response.text[:500]}"
    if status in (401, 403):
        return AuthError(
            f"the runstream API at {said}; set RUNSTREAM_TOKEN to a token with "
            "the write role"
        )
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        return InvalidInputError(
            f"the runstream API at {said}; check that RUNSTREAM_TRACKING_URI is a "
            "runstream API of the same version as this SDK"
        )
    return EventLogError(f"the runstream API at {said}")


def _chunks(records: Sequence[Record], max_bytes: int) -> list[Sequence[Record]]:
    """``records`` in order, cut into runs of at most ``max_bytes`` of values (a
    larger record goes alone)."""
    chunks: list[Sequence[Record]] = []
    start, size = 0, 0
    for index, record in enumerate(records):
        if index > start and size + len(record.value) > max_bytes:
            chunks.append(records[start:index])
            start, size = index, 0
        size += len(record.value)
    if start < len(records):
        chunks.append(records[start:])
    return chunks
