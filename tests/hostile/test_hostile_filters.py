"""The search grammar against filters that are almost right.

tests/api/search/test_grammar_properties.py covers written filters parsing back
and arbitrary short text; these tests break valid filters and order_by clauses
the ways people do (a token dropped, a quote or parenthesis unclosed, a keyword
misspelt, text cut off) for runs and experiments alike, and send some through
the API: the answer is a parse or a FilterSyntaxError that points at a column
and says what was expected, never another exception.
"""

from __future__ import annotations

from hostile_seed import Seeded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runstream.api.search.compiler import EXPERIMENTS, RUNS, Target, compile_search
from runstream.errors import FilterSyntaxError

VALID_FILTERS = (
    "metrics.loss < 0.5",
    "params.lr = '0.01' AND tags.team != 'vision'",
    "attributes.status IN ('FINISHED', 'FAILED')",
    "run_name NOT IN ('a')",
    "tags.`odd key` LIKE '%x%'",
    'params."quoted ""key""" ILIKE \'A%\'',
    "metrics.`rank0/acc` >= -1e-3 AND start_time > 0",
    "name = 'it''s'",
    "tags.team = 'vision' and creation_time <= 10",
)
VALID_ORDER_BY = (
    "metrics.loss DESC",
    "params.`lr` ASC",
    "attributes.start_time",
    "name desc",
    "tags.team",
)
# What people type by mistake, and what a grammar-aware fuzzer tries.
NEAR_MISSES = (
    "(",
    ")",
    ",",
    "'",
    '"',
    "`",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "=",
    "!=",
    "<>",
    "==",
    "=<",
    "metrics.",
    "params.`",
    ".",
    "1e999",
    "-",
    "--",
    "/*",
    ";",
    "\\",
    "\x00",
    "\n",
    "é",
    "١٢",  # digits of another script
)


def check(text: str, clauses: list[str], target: Target) -> None:
    """Compiles, or fails with a FilterSyntaxError that explains itself."""
    try:
        compile_search(target, text, clauses, "db")
    except FilterSyntaxError as e:
        where = e.text
        assert where in (text, *clauses), (where, text, clauses)
        assert 0 <= e.position <= len(where), (e.position, where)
        assert f"column {e.position + 1}" in str(e)
        assert e.expected and "expected" in str(e)


@st.composite
def near_miss(draw: st.DrawFn, valid: tuple[str, ...]) -> str:
    """A valid clause with one edit: a span cut out, a span repeated, a piece
    inserted, or the text cut short."""
    text = draw(st.sampled_from(valid))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    how = draw(st.sampled_from(["cut", "repeat", "insert", "truncate"]))
    if how == "cut":
        return text[:start] + text[end:]
    if how == "repeat":
        return text[:end] + text[start:end] + text[end:]
    if how == "insert":
        piece = draw(st.sampled_from(NEAR_MISSES) | st.text(max_size=3))
        return text[:start] + piece + text[start:]
    return text[:start]


@given(
    near_miss(VALID_FILTERS),
    st.lists(near_miss(VALID_ORDER_BY), max_size=2),
    st.sampled_from([RUNS, EXPERIMENTS]),
)
@settings(max_examples=1500, deadline=None)
def test_near_miss_filters_parse_or_explain_where(
    text: str, clauses: list[str], target: Target
) -> None:
    check(text, clauses, target)


@given(st.lists(st.sampled_from(NEAR_MISSES + VALID_FILTERS), max_size=8))
@settings(max_examples=1000, deadline=None)
def test_token_soup_parses_or_explains_where(pieces: list[str]) -> None:
    text = " ".join(pieces)
    check(text, [], RUNS)
    check("metrics.loss > 0", [text], RUNS)


@given(near_miss(VALID_FILTERS))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_near_miss_filters_through_the_api(seeded: Seeded, text: str) -> None:
    """A filter answers 200, or 400 with the position and what was expected."""
    body = {"experiment_ids": list(seeded.experiment_ids), "filter": text}
    response = seeded.client.post("/api/v1/runs/search", json=body)

    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        error = response.json()
        assert "column" in error["detail"] or "attribute" in error["detail"]
        if "position" in error:
            assert 0 <= error["position"] <= len(text)
            assert error["expected"]


def test_number_too_large_for_a_double_compares_as_infinity(seeded: Seeded) -> None:
    """1e999 parses to infinity, which must bind as a Float64, not fail in SQL."""
    ids = list(seeded.experiment_ids)
    for text, count in (("metrics.loss < 1e999", 2), ("metrics.loss > -1e999", 2)):
        body = {"experiment_ids": ids, "filter": text}
        response = seeded.client.post("/api/v1/runs/search", json=body)
        assert response.status_code == 200, response.text
        assert len(response.json()["runs"]) == count
