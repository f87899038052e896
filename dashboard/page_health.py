"""The health page: store status, consumer lag per partition, dead letters, and
the states and replays the server knows. It refreshes by itself."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import streamlit as st

from runstream.dashboard.client import ApiClient, ApiError

logger = logging.getLogger(__name__)


def render_health_page(client: ApiClient, refresh_s: float) -> None:
    st.title("Health")
    st.caption(f"Refreshing every {refresh_s:g} s.")
    st.fragment(_body, run_every=refresh_s)(client)


def _body(client: ApiClient) -> None:
    health = client.health()
    healthy = health.get("status") == "ok"
    st.badge(
        str(health.get("status", "unknown")),
        color="green" if healthy else "orange",
        icon=":material/check_circle:" if healthy else ":material/warning:",
    )
    consumer = health.get("consumer") or {}
    store, blobs, log, lag, letters = st.columns(5)
    store.metric("Store", str(health.get("store", "?")))
    blobs.metric("Blob store", str(health.get("blobs", "?")))
    log.metric("Event log", str(health.get("log", "?")))
    lag.metric("Total lag", f"{int(health.get('total_lag', 0)):,}")
    letters.metric("Dead letters", f"{int(health.get('dead_letters', 0)):,}")
    st.caption(
        f"consumer group {consumer.get('group', '?')} · alive: "
        f"{consumer.get('alive', '?')} · applied events: "
        f"{consumer.get('applied_events', '?')}"
    )
    if consumer.get("last_error"):
        st.warning(f"consumer error: {consumer['last_error']}")

    st.subheader("Lag per partition")
    frame = lag_frame(health.get("lag", []))
    if frame.empty:
        st.caption("No partitions yet.")
    else:
        # Bars of height 0 draw an empty chart; say it instead.
        if frame["Lag"].any():
            st.bar_chart(frame, x="Partition", y="Lag", height=220)
        else:
            st.caption(f"Every partition is caught up ({len(frame)}, lag 0).")
        st.dataframe(frame, hide_index=True, width="stretch", key="lag_table")
    _states(client)


def _states(client: ApiClient) -> None:
    st.subheader("States")
    try:
        states = client.states()
        replays = client.replays()
    except ApiError as exc:
        st.warning(f"Could not list states: {exc}")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "State": s["name"],
                    "Database": s["database"],
                    "Until": s["info"].get("until", ""),
                    "Complete": s["info"].get("complete", "1"),
                    "Built": s["info"].get("finished_at", ""),
                }
                for s in states
            ]
        ),
        hide_index=True,
        width="stretch",
        key="states_table",
    )
    if replays:
        st.subheader("Replays since the server started")
        columns = ["replay_id", "state", "phase", "records_read", "records_total"]
        columns += ["events_per_s", "points_per_s", "elapsed_s", "error"]
        st.dataframe(
            pd.DataFrame(replays, columns=columns),
            hide_index=True,
            width="stretch",
            key="replays_table",
        )


def lag_frame(lag: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {"Partition": f"{p['topic']}/{p['partition']}", "Lag": int(p["lag"])}
        for p in lag
    ]
    return pd.DataFrame(rows, columns=["Partition", "Lag"])
