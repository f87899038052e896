"""Where the user is, kept in the URL's query parameters so a link can point to it.

    (no parameters)                     the experiments list
    ?experiment=<experiment_id>         the runs of one experiment
    ?run=<run_id>[&experiment=<id>]     one run's page

The functions that move are meant as widget callbacks (``on_click``): Streamlit
runs them before the next script run, so the page drawn next is already the new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

logger = logging.getLogger(__name__)

EXPERIMENT = "experiment"
RUN = "run"


@dataclass(frozen=True)
class View:
    experiment_id: str | None = None
    run_id: str | None = None


def current_view() -> View:
    return View(
        experiment_id=st.query_params.get(EXPERIMENT) or None,
        run_id=st.query_params.get(RUN) or None,
    )


def open_experiments() -> None:
    st.query_params.clear()


def open_experiment(experiment_id: str) -> None:
    st.query_params.from_dict({EXPERIMENT: experiment_id})


def open_run(run_id: str, experiment_id: str | None = None) -> None:
    params = {RUN: run_id}
    if experiment_id:
        params[EXPERIMENT] = experiment_id
    st.query_params.from_dict(params)


def open_selected_experiment(state_key: str) -> None:
    """Callback for a picker whose value (in session state) is an experiment id."""
    experiment_id = st.session_state.get(state_key)
    if experiment_id:
        open_experiment(experiment_id)


def open_selected_run(state_key: str, experiment_id: str | None = None) -> None:
    """Callback for a picker whose value (in session state) is a run id."""
    run_id = st.session_state.get(state_key)
    if run_id:
        open_run(run_id, experiment_id)
