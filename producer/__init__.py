"""runstream: event-sourced tracking for machine learning.

import runstream

runstream.set_experiment("diabetes")
with runstream.start_run():
    runstream.log_param("alpha", 0.5)
    runstream.log_metric("loss", 0.1, step=1)
"""

import typing

from runstream.autolog import autolog
from runstream.autolog.loop import TrainingLogger
from runstream.client import RunstreamClient
from runstream.entities import (
    Experiment,
    FileInfo,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunTag,
)
from runstream.errors import (
    EventDecodeError,
    EventLogError,
    FilterSyntaxError,
    InvalidInputError,
    NotFoundError,
    RunNotActiveError,
    RunstreamError,
    StoreError,
)
from runstream.experiments import (
    create_experiment,
    delete_experiment,
    delete_experiment_tag,
    rename_experiment,
    restore_experiment,
    set_experiment_tag,
    set_experiment_tags,
)
from runstream.queries import (
    download_artifacts,
    get_experiment,
    get_experiment_by_name,
    get_metric_history,
    get_run,
    list_artifacts,
    search_experiments,
    search_runs,
)
from runstream.system_metrics import (
    disable_system_metrics_logging,
    enable_system_metrics_logging,
)
from runstream.tracking import (
    ActiveRun,
    active_run,
    delete_run,
    delete_tag,
    end_run,
    flush,
    get_tracking_uri,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_batch,
    log_dict,
    log_figure,
    log_image,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_table,
    log_text,
    restore_run,
    set_experiment,
    set_run_name,
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
    "FileInfo",
    "FilterSyntaxError",
    "InvalidInputError",
    "Metric",
    "NotFoundError",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunNotActiveError",
    "RunTag",
    "RunstreamClient",
    "RunstreamError",
    "StoreError",
    "TrainingLogger",
    "active_run",
    "autolog",
    "create_experiment",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "download_artifacts",
    "enable_system_metrics_logging",
    "end_run",
    "flush",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "list_artifacts",
    "log_artifact",
    "log_artifacts",
    "log_batch",
    "log_dict",
    "log_figure",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "rename_experiment",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_run_name",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

# Models, the registry and projects pull in pandas, numpy and YAML: they load on
# first use, so `import runstream` stays quick for scripts that only log.
if typing.TYPE_CHECKING:
    from runstream import models, projects, registry
    from runstream.models import load_model, log_model, save_model
    from runstream.registry import get_registry_client, register_model

__all__ += [
    "get_registry_client",
    "load_model",
    "log_model",
    "models",
    "projects",
    "register_model",
    "registry",
    "save_model",
]
_LAZY = {
    "models": ("runstream.models", None),
    "registry": ("runstream.registry", None),
    "projects": ("runstream.projects", None),
    "log_model": ("runstream.models", "log_model"),
    "save_model": ("runstream.models", "save_model"),
    "load_model": ("runstream.models", "load_model"),
    "register_model": ("runstream.registry", "register_model"),
    "get_registry_client": ("runstream.registry", "get_registry_client"),
}


def __getattr__(name: str) -> object:
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'runstream' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    return module if attribute is None else getattr(module, attribute)
