"""The sidebar's health panel: is the API up, and are the projections keeping up."""

from __future__ import annotations

import logging

import streamlit as st

from runstream.dashboard.client import ApiClient, ApiError, ApiUnavailableError

logger = logging.getLogger(__name__)


def render_health(client: ApiClient, refresh_s: float) -> None:
    """Draw the panel in the current container; it refreshes every ``refresh_s``."""
    st.fragment(_health_panel, run_every=refresh_s)(client)


def _health_panel(client: ApiClient) -> None:
    st.subheader("Health")
    try:
        health = client.health()
    except ApiUnavailableError:
        # The page itself says how to fix it; the sidebar stays short.
        st.error("API unreachable", icon=":material/cloud_off:")
        st.caption(f"API: {client.base_url}")
        return
    except ApiError as exc:
        st.error(str(exc), icon=":material/error:")
        return

    healthy = health.get("status") == "ok"
    st.badge(
        str(health.get("status", "unknown")),
        color="green" if healthy else "orange",
        icon=":material/check_circle:" if healthy else ":material/warning:",
    )
    left, right = st.columns(2)
    left.metric("Total lag", f"{int(health.get('total_lag', 0)):,}")
    right.metric("Dead letters", f"{int(health.get('dead_letters', 0)):,}")

    consumer = health.get("consumer") or {}
    st.caption(
        f"store: {health.get('store', '?')} · blobs: {health.get('blobs', '?')} · "
        "consumer alive: "
        f"{consumer.get('alive', '?')} · applied events: "
        f"{consumer.get('applied_events', '?')}"
    )
    if consumer.get("last_error"):
        st.warning(f"consumer error: {consumer['last_error']}")
    st.caption(f"API: {client.base_url}")
