"""Syntax trees to parameterised ClickHouse SQL.

User text reaches SQL only as bound parameters (``{q0:String}``); what is spliced
into the statement is table, column and alias names chosen here, operators from a
fixed list, and parameter placeholders. The SQL refers to the searched table by an
alias (``r`` for runs, ``e`` for experiments), so callers write:

    SELECT ... FROM <db>.runs AS r FINAL {joins_sql} WHERE {where_sql}
    ORDER BY {order_sql}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from runstream.api.search.grammar import (
    Comparison,
    Identifier,
    OrderKey,
    parse_filter,
    parse_order_by,
    syntax_error,
)

Kind = Literal["string", "number"]

STRING_OPERATORS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
NUMBER_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Attribute:
    column: str
    kind: Kind


@dataclass(frozen=True)
class Target:
    """What a search runs over: its table, alias, attributes and key-value tables."""

    table: str
    alias: str
    id_column: str
    entities: dict[str, str]
    attributes: dict[str, Attribute]
    default_order: tuple[str, bool]
    # entity -> (table, extra condition) for tables of (id, key, value) rows.
    key_values: dict[str, tuple[str, str]]
    # Metrics compare the latest value per key, kept in latest_metrics.
    has_metrics: bool = False


RUNS = Target(
    table="runs",
    alias="r",
    id_column="run_id",
    entities={
        **dict.fromkeys(("metric", "metrics"), "metric"),
        **dict.fromkeys(("param", "params", "parameter", "parameters"), "param"),
        **dict.fromkeys(("tag", "tags"), "tag"),
        **dict.fromkeys(("attribute", "attributes", "attr", "run"), "attribute"),
        **dict.fromkeys(("dataset", "datasets"), "dataset"),
    },
    attributes={
        "run_id": Attribute("run_id", "string"),
        "run_name": Attribute("run_name", "string"),
        "status": Attribute("status", "string"),
        "user_id": Attribute("user", "string"),
        "user": Attribute("user", "string"),
        "experiment_id": Attribute("experiment_id", "string"),
        "parent_run_id": Attribute("parent_run_id", "string"),
        "lifecycle_stage": Attribute("lifecycle_stage", "string"),
        "start_time": Attribute("start_time", "number"),
        "created": Attribute("start_time", "number"),
        "end_time": Attribute("end_time", "number"),
    },
    default_order=("start_time", False),
    key_values={"param": ("params", ""), "tag": ("tags", "AND deleted = 0")},
    has_metrics=True,
)

EXPERIMENTS = Target(
    table="experiments",
    alias="e",
    id_column="experiment_id",
    entities={
        **dict.fromkeys(("tag", "tags"), "tag"),
        **dict.fromkeys(("attribute", "attributes", "attr"), "attribute"),
    },
    attributes={
        "experiment_id": Attribute("experiment_id", "string"),
        "name": Attribute("name", "string"),
        "artifact_location": Attribute("artifact_location", "string"),
        "lifecycle_stage": Attribute("lifecycle_stage", "string"),
        "creation_time": Attribute("creation_time", "number"),
        "last_update_time": Attribute("last_update_time", "number"),
    },
    default_order=("creation_time", False),
    key_values={"tag": ("experiment_tags", "AND deleted = 0")},
)


@dataclass(frozen=True)
class CompiledSearch:
    """SQL fragments for one search, and the parameters they bind.

    ``where_sql`` is ``1`` when the filter is empty; ``order_sql`` always ends with
    the id column, so the order is total and page tokens are stable.
    """

    joins_sql: str
    where_sql: str
    order_sql: str
    params: dict[str, Any] = field(default_factory=dict)


class _Builder:
    def __init__(self, target: Target, database: str, prefix: str) -> None:
        self.target = target
        self.database = database
        self.prefix = prefix
        self.params: dict[str, Any] = {}

    def bind(self, value: Any, clickhouse_type: str) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f"{{{name}:{clickhouse_type}}}"

    def table(self, name: str) -> str:
        return f"{self.database}.{name}"

    def column(self, name: str) -> str:
        return f"{self.target.alias}.{name}"


def compile_search(
    target: Target,
    filter_string: str | None,
    order_by: Sequence[str] | None,
    database: str,
    param_prefix: str = "q",
) -> CompiledSearch:
    """Parse and compile a filter and order_by for ``target``.

    Raises ``FilterSyntaxError`` (an ``InvalidInputError``) naming the column where
    the text stops making sense and what was expected there.
    """
    text = filter_string or ""
    builder = _Builder(target, database, param_prefix)
    conditions = [
        _condition(builder, text, c) for c in parse_filter(text, target.entities)
    ]
    joins: list[str] = []
    order: list[str] = []
    for clause in order_by or ():
        key = parse_order_by(clause, target.entities)
        order.extend(_order(builder, clause, key, joins))
    if not order_by:
        column, ascending = target.default_order
        order.append(f"{builder.column(column)} {'ASC' if ascending else 'DESC'}")
    order.append(f"{builder.column(target.id_column)} ASC")
    where = " AND ".join(f"({c})" for c in conditions) or "1"
    return CompiledSearch(" ".join(joins), where, ", ".join(order), builder.params)


def compile_run_filter(
    filter_string: str | None,
    order_by: Sequence[str] | None = None,
    database: str = "runstream",
) -> CompiledSearch:
    """Compile a runs filter and order_by (``FROM <db>.runs AS r FINAL``)."""
    return compile_search(RUNS, filter_string, order_by, database)


def compile_experiment_filter(
    filter_string: str | None,
    order_by: Sequence[str] | None = None,
    database: str = "runstream",
) -> CompiledSearch:
    """Compile an experiments filter and order_by (``... experiments AS e FINAL``)."""
    return compile_search(EXPERIMENTS, filter_string, order_by, database)


def _condition(b: _Builder, text: str, c: Comparison) -> str:
    entity = c.identifier.entity
    if entity == "attribute":
        attribute = _attribute(b.target, text, c.identifier)
        test = _test(b, text, c, attribute.kind, b.column(attribute.column))
        return test
    if entity == "metric" and b.target.has_metrics:
        test = _test(b, text, c, "number", "tupleElement(max(latest), 3)")
        key = b.bind(c.identifier.key, "String")
        return (
            f"{b.column('run_id')} IN (SELECT run_id FROM "
            f"{b.table('latest_metrics')} WHERE key = {key} "
            f"GROUP BY run_id HAVING {test})"
        )
    if entity in b.target.key_values:
        table, extra = b.target.key_values[entity]
        id_column = b.target.id_column
        test = _test(b, text, c, "string", "value")
        return (
            f"{b.column(id_column)} IN (SELECT {id_column} FROM {b.table(table)} FINAL "
            f"WHERE key = {b.bind(c.identifier.key, 'String')} {extra} AND {test})"
        )
    # TODO: dataset filters (datasets.name, datasets.digest, datasets.context).
    raise syntax_error(
        text,
        c.identifier.position,
        _entities_expected(b.target),
        f"{entity} (not searchable here)",
    )


def _test(b: _Builder, text: str, c: Comparison, kind: Kind, column: str) -> str:
    """``column <op> <bound value>`` for a comparison on a column of ``kind``."""
    allowed = NUMBER_OPERATORS if kind == "number" else STRING_OPERATORS
    name = _display(c.identifier)
    if c.operator not in allowed:
        raise syntax_error(
            text,
            c.operator_position,
            f"one of {', '.join(allowed)} for {name}, which holds {kind}s",
            repr(c.operator),
        )
    if kind == "number":
        if not isinstance(c.value, float):
            raise syntax_error(
                text, c.value_position, f"a number for {name}", "quoted text"
            )
        return f"{column} {c.operator} {b.bind(c.value, 'Float64')}"
    if isinstance(c.value, tuple):
        if not all(isinstance(item, str) for item in c.value):
            raise syntax_error(
                text, c.value_position, f"values in quotes for {name}", "a number"
            )
        found = f"has({b.bind(list(c.value), 'Array(String)')}, {column})"
        return f"NOT {found}" if c.operator == "NOT IN" else found
    if not isinstance(c.value, str):
        raise syntax_error(
            text,
            c.value_position,
            f"a value in quotes for {name}, which holds text (e.g. {name} = '0.01')",
            "a number",
        )
    return f"{column} {c.operator} {b.bind(c.value, 'String')}"


def _order(b: _Builder, clause: str, key: OrderKey, joins: list[str]) -> list[str]:
    direction = "ASC" if key.ascending else "DESC"
    ident = key.identifier
    if ident.entity == "attribute":
        attribute = _attribute(b.target, clause, ident)
        return [f"{b.column(attribute.column)} {direction}"]

    alias = f"o{len(joins)}"
    id_column = b.target.id_column
    key_param = b.bind(ident.key, "String")
    if ident.entity == "metric" and b.target.has_metrics:
        source = (
            "SELECT run_id, tupleElement(max(latest), 3) AS value "
            f"FROM {b.table('latest_metrics')} WHERE key = {key_param} GROUP BY run_id"
        )
    elif ident.entity in b.target.key_values:
        table, extra = b.target.key_values[ident.entity]
        source = (
            f"SELECT {id_column}, value FROM {b.table(table)} FINAL "
            f"WHERE key = {key_param} {extra}"
        )
    else:
        raise syntax_error(
            clause, ident.position, _entities_expected(b.target), repr(ident.entity)
        )
    joins.append(
        f"LEFT JOIN ({source}) AS {alias} "
        f"ON {alias}.{id_column} = {b.column(id_column)}"
    )
    # An unmatched LEFT JOIN row holds the empty id: such rows (entities without
    # the key) sort last in either direction.
    return [f"{alias}.{id_column} = '' ASC", f"{alias}.value {direction}"]


def _attribute(target: Target, text: str, ident: Identifier) -> Attribute:
    attribute = target.attributes.get(ident.key)
    if attribute is None:
        known = ", ".join(sorted(target.attributes))
        raise syntax_error(
            text, ident.position, f"an attribute ({known})", repr(ident.key)
        )
    return attribute


def _display(ident: Identifier) -> str:
    plural = {"metric": "metrics", "param": "params", "tag": "tags"}
    prefix = plural.get(ident.entity, "attributes")
    return f"{prefix}.{ident.key}"


def _entities_expected(target: Target) -> str:
    kinds = sorted({e for e in target.entities.values() if e != "dataset"})
    return f"a key of one of: {', '.join(kinds)}"
