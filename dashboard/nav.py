"""Where the user is, kept in the URL's query parameters so a link can point to it.

    (no parameters)                     the experiments list
    ?experiment=<experiment_id>         the runs of one experiment
    ?run=<run_id>[&experiment=<id>]     one run's page
    ?run=<run_id>&page=events           the run's event history
    ?compare=<id>,<id>[&experiment=..]  runs side by side
    ?page=health                        consumer lag, dead letters, store, states
    ...&state=<name>                    any of them, read from a replayed state

The state travels with every move, so once a user picks a past state every page
shows that past. The functions that move are meant as widget callbacks
(``on_click``): Streamlit runs them before the next script run, so the page drawn
next is already the new one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import streamlit as st

logger = logging.getLogger(__name__)

EXPERIMENT = "experiment"
RUN = "run"
COMPARE = "compare"
PAGE = "page"
STATE = "state"
EVENTS_PAGE = "events"
HEALTH_PAGE = "health"


@dataclass(frozen=True)
class View:
    experiment_id: str | None = None
    run_id: str | None = None
    compare: tuple[str, ...] = field(default_factory=tuple)
    page: str | None = None
    state: str | None = None


def current_view() -> View:
    compare = st.query_params.get(COMPARE) or ""
    return View(
        experiment_id=st.query_params.get(EXPERIMENT) or None,
        run_id=st.query_params.get(RUN) or None,
        compare=tuple(run_id for run_id in compare.split(",") if run_id),
        page=st.query_params.get(PAGE) or None,
        state=st.query_params.get(STATE) or None,
    )


def _go(params: dict[str, str]) -> None:
    state = st.query_params.get(STATE)
    if state:
        params[STATE] = state
    st.query_params.from_dict(params)


def open_experiments() -> None:
    _go({})


def open_experiment(experiment_id: str) -> None:
    _go({EXPERIMENT: experiment_id})


def open_run(run_id: str, experiment_id: str | None = None) -> None:
    params = {RUN: run_id}
    if experiment_id:
        params[EXPERIMENT] = experiment_id
    _go(params)


def open_events(run_id: str, experiment_id: str | None = None) -> None:
    params = {RUN: run_id, PAGE: EVENTS_PAGE}
    if experiment_id:
        params[EXPERIMENT] = experiment_id
    _go(params)


def open_compare(run_ids: Sequence[str], experiment_id: str | None = None) -> None:
    params = {COMPARE: ",".join(run_ids)}
    if experiment_id:
        params[EXPERIMENT] = experiment_id
    _go(params)


def open_health() -> None:
    _go({PAGE: HEALTH_PAGE})


def choose_state(state_key: str) -> None:
    """Callback for the state picker: the same page, read from another state."""
    state = st.session_state.get(state_key)
    params = {k: v for k, v in st.query_params.to_dict().items() if k != STATE}
    if state and state != "live":
        params[STATE] = state
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
