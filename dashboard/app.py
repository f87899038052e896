"""The runstream dashboard's entry point: ``streamlit run dashboard/app.py``.

It reads only through the query API at RUNSTREAM_API_URL; see ``nav`` for the
query parameters that address a page.
"""

from __future__ import annotations

import logging

import streamlit as st

from runstream.dashboard import nav
from runstream.dashboard.client import ApiClient, ApiRequestError, ApiUnavailableError
from runstream.dashboard.frames import timezone
from runstream.dashboard.health import render_health
from runstream.dashboard.page_experiments import render_experiments
from runstream.dashboard.page_run import render_run
from runstream.dashboard.page_runs import render_runs
from runstream.settings import load_dashboard_settings

logger = logging.getLogger(__name__)


@st.cache_resource
def _client(api_url: str, timeout_s: float) -> ApiClient:
    # One connection pool per API address for the whole server, shared by sessions.
    logger.info("dashboard reads from api_url=%s", api_url)
    return ApiClient(api_url, timeout_s)


def main() -> None:
    st.set_page_config(page_title="runstream", page_icon="📈", layout="wide")
    settings = load_dashboard_settings()
    client = _client(settings.api_url, settings.timeout_s)
    tz = timezone(st.context.timezone)

    with st.sidebar:
        st.title("runstream")
        st.button("Experiments", on_click=nav.open_experiments, type="tertiary")
        render_health(client, settings.health_refresh_s)

    view = nav.current_view()
    try:
        if view.run_id:
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


if __name__ == "__main__":
    main()
