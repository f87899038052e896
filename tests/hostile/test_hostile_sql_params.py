"""No user text reaches ClickHouse except as a bound parameter.

Every statement the store sends goes through its client; a spy on the client
records the SQL text and the parameters. The API is then driven with a hostile
marker in every string it takes (ids, names, keys, filters, order_by, page
tokens, paths, bodies), and the marker must never appear in SQL text, only in
parameters or inserted data.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hostile_seed import Seeded

from runstream.consumers.service import ProjectionService

MARKER = f"x'); DROP TABLE runs; --{uuid.uuid4().hex}"
# The marker as the filter grammar quotes it, inside '...' and `...`.
IN_QUOTES = MARKER.replace("'", "''")

# The client methods ClickHouseStore calls, and which argument is SQL text (the
# table name, for inserts).
CLIENT_METHODS = (
    "query",
    "command",
    "raw_query",
    "query_arrow",
    "insert",
    "insert_arrow",
)


class Spy:
    def __init__(self) -> None:
        self.statements: list[tuple[str, str, Any]] = []

    def wrap(self, name: str, method: Any) -> Any:
        def spied(sql: str, *args: Any, **kwargs: Any) -> Any:
            parameters = kwargs.get("parameters", args[0] if args else None)
            self.statements.append((name, str(sql), parameters))
            return method(sql, *args, **kwargs)

        return spied

    def leaks(self) -> list[str]:
        return [f"{name}: {sql}" for name, sql, _ in self.statements if MARKER in sql]

    def bound(self) -> int:
        """How many statements carried the marker as a parameter or as data."""
        return sum(MARKER in repr(params) for _, _, params in self.statements)


@pytest.fixture
def spy(service: ProjectionService, monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    # On the client, not the store: replayed states get stores of their own
    # that share it.
    spy = Spy()
    client = service.store.client
    for name in CLIENT_METHODS:
        if hasattr(client, name):
            monkeypatch.setattr(client, name, spy.wrap(name, getattr(client, name)))
    yield spy


def filled(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A value for a JSON schema with the marker in every string."""
    if "$ref" in schema:
        return filled(components[schema["$ref"].split("/")[-1]], components, depth)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            options = [s for s in schema[union] if s.get("type") != "null"]
            return filled(options[0], components, depth) if options else None
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "array":
        return [filled(schema.get("items", {}), components, depth + 1)]
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {
            key: filled(sub, components, depth + 1)
            for key, sub in schema.get("properties", {}).items()
        }
    return MARKER


def every_operation(seeded: Seeded) -> Iterator[tuple[str, str, dict, Any]]:
    """(method, path, query, json body) with the marker in every string."""
    document = seeded.app.openapi()
    components = document.get("components", {}).get("schemas", {})
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            path = template
            query: dict[str, Any] = {}
            for parameter in operation.get("parameters", []):
                value = filled(parameter.get("schema", {}), components)
                if parameter["in"] == "path":
                    text = quote(str(value), safe="")
                    path = path.replace("{" + parameter["name"] + "}", text)
                elif parameter["in"] == "query" and parameter["name"] != "state":
                    query[parameter["name"]] = value
            body = None
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = filled(content["application/json"]["schema"], components)
            yield method.upper(), path, query, body


FILTERS = (
    f"params.`{IN_QUOTES}` = '{IN_QUOTES}'",
    f"tags.\"{MARKER}\" LIKE '%{IN_QUOTES}%'",
    f"metrics.`{IN_QUOTES}` > 0 AND attributes.run_name != '{IN_QUOTES}'",
    f"attributes.run_id IN ('{IN_QUOTES}', 'b')",
    f"name = '{IN_QUOTES}'",
    f"tags.`{IN_QUOTES}` = '{IN_QUOTES}'",
    MARKER,  # does not parse: must fail before any SQL
)
ORDER_BY = (
    f"metrics.`{IN_QUOTES}` DESC",
    f"params.`{IN_QUOTES}`",
    f"tags.`{IN_QUOTES}` ASC",
    MARKER,
)
PAGE_TOKENS = (
    MARKER,
    base64.urlsafe_b64encode(json.dumps({"offset": 0, "search": MARKER}).encode()),
)


def searches(seeded: Seeded) -> Iterator[tuple[str, str, dict, Any]]:
    """Every search with hostile filters, order_by and page tokens."""
    ids = list(seeded.experiment_ids)
    for text in FILTERS:
        for order in ORDER_BY:
            yield "GET", "/api/v1/runs", {"filter": text, "order_by": order}, None
            run_search = {"experiment_ids": ids, "filter": text, "order_by": [order]}
            yield "POST", "/api/v1/runs/search", {}, run_search
            experiment_search = {"filter": text, "order_by": [order]}
            yield "POST", "/api/v1/experiments/search", {}, experiment_search
            yield "POST", "/api/2.0/mlflow/runs/search", {}, run_search
            yield "POST", "/api/2.0/mlflow/experiments/search", {}, experiment_search
            model_search = {"filter": text, "order_by": order}
            yield "GET", "/api/2.0/mlflow/registered-models/search", model_search, None
            yield "GET", "/api/2.0/mlflow/model-versions/search", model_search, None
        yield "GET", "/api/v1/registry/models", {"filter": text}, None
        yield "GET", "/api/v1/registry/versions", {"filter": text}, None
    for token in PAGE_TOKENS:
        token_text = token if isinstance(token, str) else token.decode()
        paged = {"experiment_ids": ids, "page_token": token_text}
        yield "POST", "/api/v1/runs/search", {}, paged
        yield "POST", "/api/2.0/mlflow/runs/search", {}, paged
        run_id = seeded.run_ids[0]
        history = {"key": "loss", "page_token": token_text}
        yield "GET", f"/api/v1/runs/{run_id}/history", history, None
        mlflow_history = {"run_id": run_id, "metric_key": "loss", **history}
        yield "GET", "/api/2.0/mlflow/metrics/get-history", mlflow_history, None


def aimed(seeded: Seeded) -> Iterator[tuple[str, str, dict, Any]]:
    """The marker next to real ids, so lookups get past 'not found'."""
    run_id = seeded.run_ids[0]
    hostile = quote(MARKER, safe="")
    for path in (
        f"/api/v1/runs/{run_id}/metrics/{hostile}",
        f"/api/v1/runs/{run_id}/artifacts/{hostile}",
        f"/api/v1/registry/models/hostile-model/versions/{hostile}",
        f"/api/v1/registry/models/hostile-model/aliases/{hostile}",
    ):
        yield "GET", path, {}, None
    yield "GET", f"/api/v1/runs/{run_id}/artifacts", {"path": MARKER}, None
    yield "GET", f"/api/v1/runs/{run_id}/export/metrics", {"key": MARKER}, None
    yield "GET", "/api/v1/metrics", {"run_id": [run_id, MARKER], "key": MARKER}, None
    yield (
        "POST",
        "/api/2.0/mlflow/runs/set-tag",
        {},
        {
            "run_id": run_id,
            "key": "hostile",
            "value": MARKER,
        },
    )
    yield (
        "POST",
        "/api/2.0/mlflow/runs/log-parameter",
        {},
        {
            "run_id": run_id,
            "key": "hostile",
            "value": MARKER,
        },
    )
    yield "POST", "/api/2.0/mlflow/experiments/create", {}, {"name": MARKER}
    yield (
        "GET",
        "/api/2.0/mlflow/experiments/get-by-name",
        {"experiment_name": MARKER},
        None,
    )
    yield (
        "GET",
        "/api/2.0/mlflow/artifacts/list",
        {
            "run_id": run_id,
            "path": MARKER,
        },
        None,
    )


@pytest.mark.timeout(600)
def test_hostile_text_reaches_clickhouse_only_as_parameters(
    seeded: Seeded, spy: Spy
) -> None:
    requests = [*every_operation(seeded), *searches(seeded), *aimed(seeded)]
    server_errors = []
    for method, path, query, body in requests:
        response = seeded.client.request(method, path, params=query, json=body)
        if response.status_code >= 500 and response.status_code != 501:
            server_errors.append(f"{method} {path} {query} -> {response.text[:300]}")

    assert not spy.leaks(), "user text spliced into SQL:\n" + "\n".join(spy.leaks())
    assert not server_errors, "\n".join(server_errors)
    # The marker got through validation to the store, so the test checked
    # something: as bound parameters (lookups, filters) and as data (inserts).
    assert spy.bound() >= 20, spy.bound()
