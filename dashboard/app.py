"""The runstream dashboard's entry point: ``streamlit run dashboard/app.py``.

It reads only through the query API at RUNSTREAM_API_URL; see ``nav`` for the
query parameters that address a page.
"""

from __future__ import annotations

import logging

import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.client import (
    ApiClient,
    ApiError,
    ApiRequestError,
    ApiUnavailableError,
)
from runstream.dashboard.frames import timezone
from runstream.dashboard.health import render_health
from runstream.dashboard.page_compare import render_compare
from runstream.dashboard.page_events import render_events
from runstream.dashboard.page_experiments import render_experiments
from runstream.dashboard.page_health import render_health_page
from runstream.dashboard.page_registry import (
    is_registry_page,
    open_models,
    render_registry,
)
from runstream.dashboard.page_run import render_run
from runstream.dashboard.page_runs import render_runs
from runstream.settings import load_dashboard_settings

logger = logging.getLogger(__name__)


@st.cache_resource
def _client(api_url: str, timeout_s: float) -> ApiClient:
    # One connection pool per API address for the whole server, shared by sessions.
    token = load_dashboard_settings().token
    logger.info("dashboard reads from api_url=%s token=%s", api_url, bool(token))
    return ApiClient(api_url, timeout_s, token=token)


def main() -> None:
    st.set_page_config(page_title="runstream", page_icon="📈", layout="wide")
    settings = load_dashboard_settings()
    view = nav.current_view()
    client = _client(settings.api_url, settings.timeout_s).for_state(view.state)
    tz = timezone(st.context.timezone)

    with st.sidebar:
        st.title("runstream")
        st.button("Experiments", on_click=nav.open_experiments, type="tertiary")
        st.button("Models", on_click=open_models, type="tertiary")
        st.button("Health", on_click=nav.open_health, type="tertiary")
        _state_picker(client, view.state)
        render_health(client, settings.health_refresh_s)

    try:
        if view.page == nav.HEALTH_PAGE:
            render_health_page(client, settings.health_refresh_s)
        elif is_registry_page():
            render_registry(client, tz)
        elif view.compare:
            render_compare(client, view.compare, view.experiment_id, settings, tz)
        elif view.run_id and view.page == nav.EVENTS_PAGE:
            render_events(client, view.run_id, tz)
        elif view.run_id:
            render_run(client, view.run_id, settings, tz)
        elif view.experiment_id:
            render_runs(client, view.experiment_id, tz)
        else:
            render_experiments(client, tz)
    except ApiUnavailableError as exc:
        st.error(
            f"The dashboard cannot show this page: {exc}.", icon=":material/cloud_off:"
        )
    except ApiRequestError as exc:
        if exc.status_code == 404:
            st.warning(str(exc), icon=":material/search_off:")
            st.button("Back to experiments", on_click=nav.open_experiments)
        else:
            st.error(
                f"The runstream API refused the request: {exc}", icon=":material/error:"
            )


def _state_picker(client: ApiClient, current: str | None) -> None:
    """Which state every page reads: the live projections or one a replay built
    (``runstream replay --into <name>``)."""
    try:
        names = [s["name"] for s in client.states()]
    except ApiError:
        return  # the health panel below says what is wrong
    current = current or "live"
    if current not in names:
        names.append(current)
    st.selectbox(
        "State",
        names,
        index=names.index(current),
        key="state_picker",
        on_change=nav.choose_state,
        args=("state_picker",),
        help="Replayed states show the projections as of an earlier moment.",
    )
    if current != "live":
        st.info(
            f"Reading state **{current}**, not the live one.", icon=":material/history:"
        )


if __name__ == "__main__":
    main()
