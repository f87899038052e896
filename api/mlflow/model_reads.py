"""The SQL of MLflow 3's logged models: one model, its tags and params, and the
search over them, compiled by ``api.search`` like run searches are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runstream.api.queries import key_values
from runstream.api.search.compiler import Attribute, Target, compile_search
from runstream.api.search.paging import (
    decode_page_token,
    encode_page_token,
    search_fingerprint,
)
from runstream.consumers.clickhouse import ClickHouseStore

MODEL_COLUMNS = (
    "model_id",
    "experiment_id",
    "name",
    "model_type",
    "source_run_id",
    "artifact_location",
    "status",
    "status_message",
    "lifecycle_stage",
    "creation_time",
    "last_update_time",
)


def model(store: ClickHouseStore, model_id: str) -> dict[str, Any] | None:
    rows = store.query(
        f"SELECT {', '.join(MODEL_COLUMNS)} FROM {store.table('models')} FINAL "
        "WHERE model_id = {model_id:String} AND experiment_id != ''",
        {"model_id": model_id},
    )
    return rows[0] if rows else None


def model_tags(
    store: ClickHouseStore, model_ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    return key_values(
        store,
        f"SELECT model_id AS id, key, value FROM {store.table('model_tags')} FINAL "
        "WHERE model_id IN {ids:Array(String)} AND deleted = 0",
        model_ids,
    )


def model_params(
    store: ClickHouseStore, model_ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    return key_values(
        store,
        f"SELECT model_id AS id, key, value FROM {store.table('model_params')} FINAL "
        "WHERE model_id IN {ids:Array(String)}",
        model_ids,
    )


MODELS = Target(
    table="models",
    alias="m",
    id_column="model_id",
    entities={
        **dict.fromkeys(("tag", "tags"), "tag"),
        **dict.fromkeys(("param", "params"), "param"),
        **dict.fromkeys(("attribute", "attributes", "attr"), "attribute"),
    },
    attributes={
        "model_id": Attribute("model_id", "string"),
        "name": Attribute("name", "string"),
        "model_type": Attribute("model_type", "string"),
        "status": Attribute("status", "string"),
        "source_run_id": Attribute("source_run_id", "string"),
        "creation_timestamp": Attribute("creation_time", "number"),
        "creation_time": Attribute("creation_time", "number"),
        "last_updated_timestamp": Attribute("last_update_time", "number"),
    },
    default_order=("creation_time", False),
    key_values={
        "tag": ("model_tags", "AND deleted = 0"),
        "param": ("model_params", ""),
    },
)


def search_models(
    store: ClickHouseStore,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    order_by: Sequence[str],
    max_results: int,
    page_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the active models of ``experiment_ids`` matching the filter,
    and the token of the next page (None on the last)."""
    compiled = compile_search(MODELS, filter_string, order_by, store.database)
    fingerprint = search_fingerprint(
        "models", filter_string, list(order_by), sorted(experiment_ids)
    )
    offset = decode_page_token(page_token, fingerprint)
    columns = ", ".join(f"m.{c} AS {c}" for c in MODEL_COLUMNS)
    rows = store.query(
        f"SELECT {columns} FROM {store.table('models')} AS m FINAL "
        f"{compiled.joins_sql} WHERE has({{experiment_ids:Array(String)}}, "
        "m.experiment_id) AND m.lifecycle_stage = 'active' "
        f"AND {compiled.where_sql} ORDER BY {compiled.order_sql} "
        "LIMIT {limit:UInt32} OFFSET {offset:UInt64}",
        {
            **compiled.params,
            "experiment_ids": list(experiment_ids),
            "limit": max_results + 1,
            "offset": offset,
        },
    )
    more = len(rows) > max_results
    token = encode_page_token(offset + max_results, fingerprint) if more else None
    return rows[:max_results], token
