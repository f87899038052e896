"""Searching runs and experiments with MLflow's filter grammar.

The text is parsed into a syntax tree (``grammar``) and compiled into ClickHouse
SQL whose every user-supplied value is a bound parameter (``compiler``); a page of
rows comes back from ``execute``. The interface other modules rely on:

``compile_run_filter(filter_string, order_by, database) -> CompiledSearch``
    ``CompiledSearch(joins_sql, where_sql, order_sql, params)`` for
    ``SELECT ... FROM <database>.runs AS r FINAL {joins_sql} WHERE {where_sql}
    ORDER BY {order_sql}`` run with ``params``. ``order_by`` is a list of items such
    as ``"metrics.loss DESC"``; the order always ends with ``r.run_id``.
``compile_experiment_filter(...)``
    The same over ``<database>.experiments AS e FINAL``.
``search_runs(store, experiment_ids, filter_string, order_by, max_results,
page_token, view_type) -> Page(rows, next_page_token)``
    A page of run rows (``RUN_COLUMNS``); ``search_experiments`` likewise.

Filters: ``metrics.<key>``, ``params.<key>``, ``tags.<key>`` and ``attributes.``
(``run_id``, ``run_name``, ``status``, ``user_id``, ``start_time``, ``end_time``,
...), keys with odd characters in backticks or double quotes, numbers compared with
``= != < <= > >=``, text with ``= != LIKE ILIKE IN (...) NOT IN (...)``, joined with
``AND``. A metric compares its latest value (highest step, then latest timestamp).
Errors are ``FilterSyntaxError`` with the column and what was expected.
"""

from runstream.api.search.compiler import (
    CompiledSearch,
    compile_experiment_filter,
    compile_run_filter,
)
from runstream.api.search.execute import (
    EXPERIMENT_COLUMNS,
    MAX_RESULTS,
    RUN_COLUMNS,
    Page,
    search_experiments,
    search_runs,
)
from runstream.api.search.grammar import (
    Comparison,
    Identifier,
    OrderKey,
    parse_filter,
    parse_order_by,
)

__all__ = [
    "EXPERIMENT_COLUMNS",
    "MAX_RESULTS",
    "RUN_COLUMNS",
    "CompiledSearch",
    "Comparison",
    "Identifier",
    "OrderKey",
    "Page",
    "compile_experiment_filter",
    "compile_run_filter",
    "parse_filter",
    "parse_order_by",
    "search_experiments",
    "search_runs",
]
