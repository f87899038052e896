"""Bound integer parameters checked against the type their placeholder names.

ClickHouse wraps a bound integer that does not fit its placeholder's type instead
of refusing it: ``{offset:UInt64}`` bound to ``2**64`` reads as 0, and
``{rank:Int32}`` bound to ``2**32 + 3`` as rank 3, so a query answers another
entity's rows. Routes bound the numbers they take, where the error can name the
field; this check is the net under them, for a route that forgets one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from runstream.errors import InvalidInputError

# {name:Int32}, {name:UInt64}, {name:Array(Int64)}, {name:Nullable(UInt8)} ...
_PLACEHOLDER = re.compile(
    r"\{(?P<name>\w+):\s*(?P<type>(?:(?:Array|Nullable)\(\s*)?"
    r"(?P<unsigned>U?)Int(?P<bits>8|16|32|64|128|256)\s*\)?)\s*\}"
)


def check_integer_parameters(sql: str, parameters: Mapping[str, Any] | None) -> None:
    """Raise InvalidInputError when a bound integer is outside its placeholder's
    type; other parameters and placeholders are left to ClickHouse."""
    if not parameters or "Int" not in sql:
        return
    for match in _PLACEHOLDER.finditer(sql):
        name = match.group("name")
        if name not in parameters:
            continue
        low, high = _bounds(match.group("unsigned") == "U", int(match.group("bits")))
        value = parameters[name]
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if isinstance(item, int) and not low <= item <= high:
                raise InvalidInputError(
                    f"{item} is out of range for {name!r} ({match.group('type')}: "
                    f"{low} to {high}); pass a number in that range"
                )


def _bounds(unsigned: bool, bits: int) -> tuple[int, int]:
    if unsigned:
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
