"""Bound integers that do not fit their placeholder are refused, not wrapped."""

from __future__ import annotations

import pytest

from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.clickhouse.parameters import check_integer_parameters
from runstream.errors import InvalidInputError


@pytest.mark.parametrize(
    ("sql", "parameters"),
    [
        ("SELECT {n:UInt64}", {"n": 2**64}),
        ("SELECT {n:UInt64}", {"n": -1}),
        ("SELECT {rank:Int32}", {"rank": 2**31}),
        ("SELECT {rank: Int32 }", {"rank": -(2**31) - 1}),
        ("SELECT has({steps:Array(Int64)}, 3)", {"steps": [1, 2**63]}),
        ("SELECT {n:Nullable(UInt8)}", {"n": 256}),
    ],
)
def test_an_integer_outside_its_placeholder_is_refused_naming_it(
    sql: str, parameters: dict[str, object]
) -> None:
    name = next(iter(parameters))
    with pytest.raises(InvalidInputError, match=f"'{name}'.*in that range"):
        check_integer_parameters(sql, parameters)


def test_integers_that_fit_and_other_parameters_pass() -> None:
    check_integer_parameters(
        "SELECT {a:UInt64}, {b:Int32}, {c:Array(Int64)}, {d:String}, {e:UInt8}",
        {"a": 2**64 - 1, "b": -(2**31), "c": [-(2**63), 0], "d": "9" * 40, "e": None},
    )
    check_integer_parameters("SELECT {a:UInt8}", {})  # unbound: ClickHouse says so


def test_the_store_refuses_before_clickhouse_would_wrap(store: ClickHouseStore) -> None:
    # Unchecked, ClickHouse answers 5 here.
    with pytest.raises(InvalidInputError, match="'n'"):
        store.query("SELECT {n:UInt64} AS n", {"n": 2**64 + 5})
    with pytest.raises(InvalidInputError, match="'n'"):
        store.query_arrow("SELECT {n:UInt64} AS n", {"n": 2**64 + 5})
    with pytest.raises(InvalidInputError, match="'n'"):
        store.query_bytes("SELECT {n:UInt64} AS n", {"n": 2**64 + 5}, "CSV")
    assert store.query("SELECT {n:UInt64} AS n", {"n": 5}) == [{"n": 5}]
