"""Property tests: any filter we can write parses back to what was written, any
text either parses or fails with a FilterSyntaxError, and user values never
change the SQL's shape."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from runstream.api.search import compile_run_filter, parse_filter
from runstream.api.search.compiler import RUNS
from runstream.api.search.grammar import Comparison, Identifier
from runstream.errors import FilterSyntaxError

ENTITIES = {"metric": "metrics", "param": "params", "tag": "tags"}
STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=")

keys = st.text(
    alphabet=st.sampled_from("abcXYZ019_-./ :é`\"'"), min_size=1, max_size=20
)
texts = st.text(max_size=30)
numbers = st.floats(allow_nan=False, allow_infinity=False, width=64)


def quote(text: str, mark: str) -> str:
    return mark + text.replace(mark, mark * 2) + mark


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[str, Comparison]:
    entity = draw(st.sampled_from(sorted(ENTITIES)))
    key = draw(keys)
    prefix = draw(st.sampled_from([ENTITIES[entity], entity, ENTITIES[entity].upper()]))
    written_key = quote(key, draw(st.sampled_from('`"')))
    if entity == "metric":
        op = draw(st.sampled_from(NUMBER_OPS))
        value: str | float = draw(numbers)
        written_value = repr(value)
    else:
        op = draw(st.sampled_from(STRING_OPS))
        value = draw(texts)
        written_value = quote(value, draw(st.sampled_from("'\"")))
    written_op = op if op[0] in "=!<>" else draw(st.sampled_from([op, op.lower()]))
    space = draw(st.sampled_from([" ", "  ", "\t", "\n "]))
    text = f"{prefix}.{written_key}{space}{written_op}{space}{written_value}"
    expected = Comparison(Identifier(entity, key, 0), op, value, 0, 0)
    return text, expected


def same(found: Comparison, expected: Comparison) -> bool:
    value_ok = (
        math.isclose(found.value, expected.value, rel_tol=0, abs_tol=0)
        if isinstance(expected.value, float)
        else found.value == expected.value
    )
    return (
        found.identifier.entity == expected.identifier.entity
        and found.identifier.key == expected.identifier.key
        and found.operator == expected.operator
        and value_ok
    )


@given(st.lists(comparisons(), min_size=1, max_size=5), st.sampled_from(["AND", "and"]))
@settings(max_examples=300, deadline=None)
def test_written_filters_parse_back(
    parts: list[tuple[str, Comparison]], joiner: str
) -> None:
    text = f" {joiner} ".join(written for written, _ in parts)
    parsed = parse_filter(text, RUNS.entities)
    assert len(parsed) == len(parts)
    for found, (_, expected) in zip(parsed, parts, strict=True):
        assert same(found, expected), (text, found, expected)


@given(st.text(max_size=60))
@settings(max_examples=500, deadline=None)
def test_any_text_parses_or_fails_with_position(text: str) -> None:
    try:
        compile_run_filter(text)
    except FilterSyntaxError as e:
        assert 0 <= e.position <= len(text)
        assert f"column {e.position + 1}" in str(e)
        assert e.expected


@given(texts, texts, numbers, numbers)
@settings(max_examples=200, deadline=None)
def test_values_never_change_the_sql(a: str, b: str, x: float, y: float) -> None:
    def sql(text_value: str, number: float) -> tuple[str, str, str]:
        compiled = compile_run_filter(
            f"params.p = {quote(text_value, chr(39))} AND metrics.m > {number!r} "
            f"AND tags.t LIKE {quote(text_value, chr(34))}",
            ["metrics.m DESC"],
        )
        return compiled.joins_sql, compiled.where_sql, compiled.order_sql

    assert sql(a, x) == sql(b, y)
