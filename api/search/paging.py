"""Page tokens: where the next page of a search starts.

A token holds the offset of the next page and a fingerprint of the search that
made it, so a token handed to a different search is refused rather than answered
with rows from the wrong place.

TODO: tokens hold an offset, so a run inserted ahead of the page between two
requests shifts the next page by one; a keyset token (the last row's order key)
would not.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence

from runstream.errors import InvalidInputError

MAX_OFFSET = 2**63 - 1


def search_fingerprint(*parts: str | Sequence[str] | None) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def encode_page_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"offset": offset, "search": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_page_token(token: str | None, fingerprint: str) -> int:
    """The offset a token points at (0 without a token)."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["offset"]
        search = data["search"]
    except (ValueError, KeyError, TypeError) as e:
        raise _not_issued(token) from e
    # JSON numbers may be floats, Infinity or NaN, or too large for ClickHouse's
    # OFFSET; none of them came from encode_page_token.
    if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
        raise _not_issued(token)
    if search != fingerprint:
        raise InvalidInputError(
            f"page token {token[:40]!r} belongs to another search; repeat the "
            "search with the same filter, order and ids, or drop the token"
        )
    return offset


def _not_issued(token: str) -> InvalidInputError:
    return InvalidInputError(
        f"page token {token[:40]!r} is not one this API issued; pass the "
        "next_page_token of the previous answer unchanged"
    )
