"""A run's event history: every event applied for it, where it sits on the log
and when it happened. Any position here can be a replay's ``--until``."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.client import ApiClient
from runstream.dashboard.frames import DATETIME_FORMAT, to_datetime

logger = logging.getLogger(__name__)

PAGE_SIZE = 500


def render_events(client: ApiClient, run_id: str, tz: ZoneInfo) -> None:
    run = client.run(run_id)
    st.button(
        "← Back to the run",
        on_click=nav.open_run,
        args=(run_id, run["experiment_id"]),
        type="tertiary",
    )
    st.title(f"Event history of {run['run_name'] or run_id}")

    first = client.events(run_id, limit=1)
    total = int(first["total"])
    if not total:
        st.info("No events applied for this run yet.")
        return
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = 1
    if pages > 1:
        page = int(
            st.number_input(f"Page (of {pages})", 1, pages, 1, key="events_page")
        )
    history = client.events(run_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    st.caption(
        f"{total:,} events in log order; the times are when the producer logged "
        "them, the positions where the log holds them."
    )
    st.dataframe(
        events_frame(history["events"], tz),
        hide_index=True,
        width="stretch",
        column_config={
            "Occurred": st.column_config.DatetimeColumn(format=DATETIME_FORMAT + ".SSS")
        },
        key="events_table",
    )
    last = history["events"][-1]
    st.markdown("**Time travel**: the state of everything as of one of these events:")
    st.code(
        f"runstream replay --until {last['partition']}:{last['offset']} "
        "--into before_this",
        language="bash",
    )


def events_frame(events: list[dict[str, Any]], tz: ZoneInfo) -> pd.DataFrame:
    rows = [
        {
            "Position": f"{e['partition']}:{e['offset']}",
            "Event": e["event_type"],
            "Occurred": to_datetime(e["occurred_at"], tz),
            "Producer": e["producer_id"],
            "Sequence": e["sequence"],
            "Topic": e["topic"],
            "Event id": e["event_id"],
        }
        for e in events
    ]
    columns = ["Position", "Event", "Occurred", "Producer", "Sequence", "Topic"]
    return pd.DataFrame(rows, columns=[*columns, "Event id"])
