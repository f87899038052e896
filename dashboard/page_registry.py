"""The Model Registry pages: every registered model, and one model's page.

    ?page=models                  the registered models
    ?page=models&model=<name>     one model: versions, stages, aliases, lineage
                                  to the runs, and the history of stage and
                                  alias changes

They keep their own query parameters here, so the rest of the navigation stays as
it is; a replayed ``state`` travels with them like with every other page.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.client import ApiClient
from runstream.dashboard.frames import DATETIME_FORMAT, to_datetime

logger = logging.getLogger(__name__)

MODELS_PAGE = "models"
MODEL = "model"
_TABLE = "registry_models_table"
_VERSIONS = "registry_versions_table"


def is_registry_page() -> bool:
    return st.query_params.get(nav.PAGE) == MODELS_PAGE


def open_models() -> None:
    _go({nav.PAGE: MODELS_PAGE})


def open_model(name: str) -> None:
    _go({nav.PAGE: MODELS_PAGE, MODEL: name})


def _go(params: dict[str, str]) -> None:
    state = st.query_params.get(nav.STATE)
    if state:
        params[nav.STATE] = state
    st.query_params.from_dict(params)


def render_registry(client: ApiClient, tz: ZoneInfo) -> None:
    name = st.query_params.get(MODEL)
    if name:
        render_model(client, name, tz)
    else:
        render_models(client, tz)


# -- the models list ---------------------------------------------------------------


def render_models(client: ApiClient, tz: ZoneInfo) -> None:
    st.title("Models")
    query = st.text_input(
        "Filter", placeholder="name LIKE 'diab%' AND tags.team = 'vision'"
    )
    params = {"filter": query} if query else None
    models = client.get_json("/registry/models", params)["registered_models"]
    if not models:
        st.info(
            "No registered models yet. Register one with "
            "`runstream.register_model('runs:/<run_id>/model', 'name')`."
        )
        return
    names = [m["name"] for m in models]
    st.dataframe(
        models_frame(models, tz),
        hide_index=True,
        width="stretch",
        column_config={
            "Updated": st.column_config.DatetimeColumn(format=DATETIME_FORMAT)
        },
        on_select=lambda: _open_clicked(names),
        selection_mode="single-row",
        key=_TABLE,
    )
    picker, button = st.columns([4, 1], vertical_alignment="bottom")
    picker.selectbox("Model", names, key="registry_model_picker")
    button.button(
        "Open model",
        type="primary",
        on_click=lambda: open_model(st.session_state["registry_model_picker"]),
    )


def models_frame(models: list[dict[str, Any]], tz: ZoneInfo) -> pd.DataFrame:
    rows = []
    for m in models:
        latest = {v["current_stage"]: v["version"] for v in m["latest_versions"]}
        rows.append(
            {
                "Name": m["name"],
                "Latest version": max(latest.values(), default=None),
                "Production": latest.get("Production"),
                "Staging": latest.get("Staging"),
                "Aliases": ", ".join(
                    f"@{a} → v{v}" for a, v in sorted(m["aliases"].items())
                ),
                "Description": m["description"],
                "Updated": to_datetime(m["last_updated_timestamp"], tz),
            }
        )
    return pd.DataFrame(rows)


def _open_clicked(names: list[str]) -> None:
    rows = st.session_state[_TABLE].selection.rows
    if rows:
        open_model(names[rows[0]])


# -- one model ---------------------------------------------------------------------


def render_model(client: ApiClient, name: str, tz: ZoneInfo) -> None:
    segment = quote(name, safe="")
    model = client.get_json(f"/registry/models/{segment}")
    history = client.get_json(
        f"/registry/models/{segment}/history", {"kind": ["stage", "alias"]}
    )["history"]

    st.button("← Models", on_click=open_models, type="tertiary")
    st.title(name)
    if model["description"]:
        st.markdown(model["description"])
    if model["previous_names"]:
        st.caption("Previously named " + ", ".join(model["previous_names"]))

    aliases, tags = st.columns(2)
    with aliases:
        st.subheader("Aliases")
        for alias, version in sorted(model["aliases"].items()):
            st.markdown(f"`@{alias}` → version {version}")
        if not model["aliases"]:
            st.caption("No aliases.")
    with tags:
        st.subheader("Tags")
        if model["tags"]:
            st.dataframe(
                pd.DataFrame(sorted(model["tags"].items()), columns=["Key", "Value"]),
                hide_index=True,
            )
        else:
            st.caption("No tags.")

    st.subheader("Versions")
    _render_versions(model["versions"], tz)
    st.subheader("History of stages and aliases")
    if history:
        st.dataframe(history_frame(history, tz), hide_index=True, width="stretch")
    else:
        st.caption("No stage or alias has changed yet.")


def _render_versions(versions: list[dict[str, Any]], tz: ZoneInfo) -> None:
    if not versions:
        st.caption("No versions yet.")
        return
    newest_first = list(reversed(versions))
    st.dataframe(
        versions_frame(newest_first, tz),
        hide_index=True,
        width="stretch",
        column_config={
            "Created": st.column_config.DatetimeColumn(format=DATETIME_FORMAT)
        },
        key=_VERSIONS,
    )
    runs = [v for v in newest_first if v["run_id"]]
    if runs:
        # The lineage: each version's source run, one click away.
        columns = st.columns(min(len(runs), 4))
        for column, version in zip(columns, runs, strict=False):
            column.button(
                f"Run of version {version['version']}",
                on_click=nav.open_run,
                args=(version["run_id"],),
                key=f"registry_run_{version['version']}",
            )


def versions_frame(versions: list[dict[str, Any]], tz: ZoneInfo) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Version": v["version"],
                "Stage": v["current_stage"],
                "Aliases": ", ".join(f"@{a}" for a in v["aliases"]),
                "Source run": v["run_id"] or "",
                "Source": v["source"],
                "Description": v["description"],
                "Created": to_datetime(v["creation_timestamp"], tz),
                "By": v["user_id"],
            }
            for v in versions
        ]
    )


def history_frame(history: list[dict[str, Any]], tz: ZoneInfo) -> pd.DataFrame:
    """Newest change first: when, who, what, from, to, and why if it was a
    consequence of another change."""
    rows = []
    for h in reversed(history):
        if h["kind"] == "stage":
            what = f"version {h['version']} stage"
            before, after = h["from"], h["to"]
        else:
            what = f"alias @{h['alias']}"
            before = f"v{h['from']}" if h["from"] is not None else "—"
            after = f"v{h['to']}" if h["to"] is not None else "—"
        rows.append(
            {
                "When": to_datetime(h["at"], tz),
                "Who": h["user"],
                "What": what,
                "From": before,
                "To": after,
                "Why": h["cause"] or "",
            }
        )
    return pd.DataFrame(rows)
