"""The filter grammar: what parses, and errors that say where and what."""

from __future__ import annotations

import pytest

from runstream.api.search import (
    compile_experiment_filter,
    compile_run_filter,
    parse_filter,
    parse_order_by,
)
from runstream.api.search.compiler import RUNS
from runstream.errors import FilterSyntaxError, InvalidInputError


def test_every_part_of_the_grammar_parses() -> None:
    parsed = parse_filter(
        "metrics.acc >= 0.9 AND params.lr = '0.01' and tags.`my tag` LIKE 'a%' "
        'AND tags."mlflow.user" ILIKE "Al%" AND attributes.run_id IN (\'a\', "b") '
        "AND status NOT IN ('FAILED') AND metrics.rank0/val-loss < -1.5e-3 "
        "AND run.start_time > 10",
        RUNS.entities,
    )
    assert [(c.identifier.entity, c.identifier.key, c.operator) for c in parsed] == [
        ("metric", "acc", ">="),
        ("param", "lr", "="),
        ("tag", "my tag", "LIKE"),
        ("tag", "mlflow.user", "ILIKE"),
        ("attribute", "run_id", "IN"),
        ("attribute", "status", "NOT IN"),
        ("metric", "rank0/val-loss", "<"),
        ("attribute", "start_time", ">"),
    ]
    assert parsed[4].value == ("a", "b")
    assert parsed[6].value == -1.5e-3


def test_quotes_written_twice_stand_for_themselves() -> None:
    (comparison,) = parse_filter("params.`a``b` = 'it''s'", RUNS.entities)
    assert comparison.identifier.key == "a`b"
    assert comparison.value == "it's"


def test_empty_filter_matches_everything() -> None:
    assert compile_run_filter("  ").where_sql == "1"
    assert compile_run_filter(None).where_sql == "1"


def test_order_by_parses_direction() -> None:
    key = parse_order_by("metrics.`val loss` desc", RUNS.entities)
    assert (key.identifier.key, key.ascending) == ("val loss", False)
    assert parse_order_by("start_time", RUNS.entities).ascending


@pytest.mark.parametrize(
    ("text", "column", "expected"),
    [
        ("metrics.acc 0.9", 13, "an operator"),
        ("metrics.acc > ", 15, "a value"),
        ("metrics.acc > 1 OR metrics.b > 2", 17, "OR is not supported"),
        ("metrics.acc > 1 metrics.b > 2", 17, "AND or the end"),
        ("params.lr = 'open", 13, "closing '"),
        ("foo.bar = 1", 1, "starts with one of"),
        ("params.lr > '1'", 11, "one of =, !=, LIKE"),
        ("params.lr = 1", 13, "a value in quotes"),
        ("metrics.acc = 'high'", 15, "a number for metrics.acc"),
        ("attributes.colour = 'red'", 1, "an attribute"),
        ("run_id IN 'a'", 11, "'(' opening a list"),
        ("metrics.loss IN (1, 2)", 14, "one of =, !=, <, <=, >, >= for metrics.loss"),
        ("run_name IN ('a', 2)", 13, "values in quotes for attributes.run_name"),
        ("run_id NOT 'a'", 12, "IN after NOT"),
        ("metrics.acc > 1 AND", 20, "a key such as"),
        ("metrics.acc ; DROP TABLE runs", 13, "a key, an operator or a value"),
        ("datasets.name = 'x'", 1, "not searchable"),
    ],
)
def test_syntax_errors_say_where_and_what(
    text: str, column: int, expected: str
) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        compile_run_filter(text)
    error = info.value
    assert error.position == column - 1
    assert f"column {column}:" in str(error)
    assert expected in str(error)
    assert text in str(error)
    assert isinstance(error, InvalidInputError)


def test_order_by_errors_name_the_clause() -> None:
    with pytest.raises(FilterSyntaxError, match="ASC, DESC or the end"):
        compile_run_filter("", ["metrics.acc sideways"])


def test_experiments_know_only_their_own_keys() -> None:
    compiled = compile_experiment_filter("name LIKE 'x%' AND tags.team = 'v'")
    assert "e.name LIKE" in compiled.where_sql
    with pytest.raises(FilterSyntaxError, match="starts with one of"):
        compile_experiment_filter("metrics.acc > 1")


def test_user_text_only_travels_as_parameters() -> None:
    hostile = "x' OR 1=1; DROP TABLE runs --"
    compiled = compile_run_filter(
        f'params."{hostile}" = "{hostile}"', [f"tags.`{hostile}`"]
    )
    sql = compiled.joins_sql + compiled.where_sql + compiled.order_sql
    assert "DROP" not in sql
    assert list(compiled.params.values()).count(hostile) == 3
