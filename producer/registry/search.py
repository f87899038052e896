"""Search filters for registered models and versions, in MLflow's syntax.

    name = 'diabetes'                name LIKE 'diab%'     name ILIKE '%DIAB%'
    tags.team = 'vision'             tags.`owner id` != 'ops'
    run_id = '4f2…'                  (clauses joined with AND)

``LIKE`` matches ``%`` (any text) and ``_`` (one character), case-sensitively;
``ILIKE`` ignores case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from runstream.errors import InvalidInputError

_CLAUSE = re.compile(
    r"""\s*(?P<attr>tags\.`[^`]+`|tags\.[\w.\-]+|[a-z_]+)\s*
        (?P<op>!=|=|(?i:ilike|like))\s*
        (?P<value>'(?:[^']|'')*'|"(?:[^"]|"")*")\s*""",
    re.VERBOSE,
)

Predicate = Callable[[Mapping[str, Any]], bool]


def parse_filter(text: str | None, attributes: tuple[str, ...]) -> Predicate:
    """A predicate over ``{attribute: value, "tags": {...}}`` mappings."""
    if not text or not text.strip():
        return lambda _: True
    checks = [_clause(part, attributes, text) for part in _split(text)]
    return lambda item: all(check(item) for check in checks)


def _split(text: str) -> list[str]:
    # Split on AND outside quotes only.
    parts, quote, start = [], "", 0
    for match in re.finditer(r"'|\"|\s+and\s+", text, re.IGNORECASE):
        token = match.group(0)
        if token in ("'", '"'):
            quote = "" if quote == token else (quote or token)
        elif not quote:
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def _clause(part: str, attributes: tuple[str, ...], text: str) -> Predicate:
    match = _CLAUSE.fullmatch(part)
    if match is None:
        raise InvalidInputError(
            f"cannot parse {part.strip()!r} in the filter {text!r}; write clauses "
            "such as name LIKE 'diab%' or tags.team = 'vision', joined with AND"
        )
    attr, op = match["attr"], match["op"].upper()
    quote = match["value"][0]
    value = match["value"][1:-1].replace(quote * 2, quote)
    if not attr.startswith("tags.") and attr not in attributes:
        raise InvalidInputError(
            f"cannot filter on {attr!r}; use {', '.join(attributes)} or tags.<key>"
        )
    if attr.startswith("tags."):
        key = attr[len("tags.") :].strip("`")

        def get(item: Mapping[str, Any]) -> Any:
            return item.get("tags", {}).get(key)
    else:

        def get(item: Mapping[str, Any]) -> Any:
            return item.get(attr)

    compare = _comparison(op, value)
    return lambda item: (found := get(item)) is not None and compare(str(found))


def _comparison(op: str, value: str) -> Callable[[str], bool]:
    if op == "=":
        return lambda found: found == value
    if op == "!=":
        return lambda found: found != value
    pattern = "".join(
        ".*" if c == "%" else "." if c == "_" else re.escape(c) for c in value
    )
    flags = re.IGNORECASE | re.DOTALL if op == "ILIKE" else re.DOTALL
    compiled = re.compile(pattern, flags)
    return lambda found: compiled.fullmatch(found) is not None
