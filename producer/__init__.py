"""runstream: event-sourced tracking for machine learning.

import runstream

runstream.set_experiment("diabetes")
with runstream.start_run():
    runstream.log_param("alpha", 0.5)
    runstream.log_metric("loss", 0.1, step=1)
"""

from runstream.autolog import autolog
from runstream.errors import (
    EventDecodeError,
    EventLogError,
    InvalidInputError,
    RunNotActiveError,
    RunstreamError,
    StoreError,
)
from runstream.tracking import (
    ActiveRun,
    Experiment,
    RunInfo,
    active_run,
    delete_tag,
    end_run,
    flush,
    get_tracking_uri,
    last_active_run,
    log_artifact,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    set_experiment,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "EventDecodeError",
    "EventLogError",
    "Experiment",
    "InvalidInputError",
    "RunInfo",
    "RunNotActiveError",
    "RunstreamError",
    "StoreError",
    "active_run",
    "autolog",
    "delete_tag",
    "end_run",
    "flush",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
