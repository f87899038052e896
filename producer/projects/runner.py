"""Running a project: fetch it, check the request, build its environment, then run
its command inside a tracked run.

Everything that can be refused (an unknown entry point, a missing or mistyped
parameter, a version that does not exist, an environment that cannot be built) is
refused before the run is created. The command then runs with RUNSTREAM_RUN_ID set,
so the project's own ``runstream.start_run()`` resumes this run and its metrics land
beside the parameters and source tags logged here. The run ends FINISHED when the
command exits 0 and FAILED otherwise (KILLED on Ctrl-C).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import runstream
from runstream import tracking
from runstream import validation as v
from runstream.errors import InvalidInputError, ProjectSetupError
from runstream.projects.cache import cache_root
from runstream.projects.environments import (
    ENV_MANAGERS,
    PreparedEnvironment,
    prepare_environment,
)
from runstream.projects.params import render_command, resolve_parameters
from runstream.projects.source import Source, fetch_source
from runstream.projects.spec import EntryPoint, Project, load_project
from runstream.settings import load_settings
from runstream.tracking import RUN_ID_VARIABLE, experiment_id_for

logger = logging.getLogger(__name__)

STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class ProjectRun:
    """A project run that has ended."""

    run_id: str
    experiment_id: str
    status: str
    """FINISHED, FAILED or KILLED."""
    exit_code: int | None
    """The command's exit status; negative when a signal ended it."""
    entry_point: str
    command: str
    directory: Path
    """The project folder the command ran in."""


def run(
    uri: str | Path,
    entry_point: str = "main",
    parameters: Mapping[str, Any] | None = None,
    *,
    version: str | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    env_manager: str = "local",
    cache_dir: str | Path | None = None,
) -> ProjectRun:
    """Run ``entry_point`` of the project at ``uri`` and wait until it ends.

    ``uri`` is a folder or a Git URI, either optionally ending in
    ``#subdirectory``; ``version`` is a commit, tag or branch. Without an experiment
    the run goes to the active one. Returns the ended run; a failing command makes
    a FAILED run, not an exception.
    """
    # TODO: synchronous=False (return while the command still runs) is not offered.
    _check_options(env_manager, experiment_name, experiment_id)
    cache = cache_root(cache_dir)
    source = fetch_source(str(uri), version, cache)
    project = load_project(source.directory)
    entry = project.entry_point(entry_point)
    values, extras = resolve_parameters(
        entry, parameters or {}, project.directory, Path.cwd()
    )
    _check_params({**values, **extras}, project.name)
    command = render_command(entry, values, extras)
    environment = prepare_environment(project, env_manager, cache)

    active = _start_run(
        source, entry, env_manager, experiment_name, experiment_id, run_name
    )
    run_id = active.info.run_id
    try:
        runstream.log_params({**values, **extras}, run_id=run_id)
        # The command's own start_run() appends to this run, possibly before our
        # sender's next tick: what we wrote must be on the log first.
        runstream.flush()
        exit_code = _execute(command, project, environment, run_id)
    except KeyboardInterrupt:
        _end_run(active, "KILLED")
        raise
    except BaseException:
        _end_run(active, "FAILED")
        raise
    status = "FINISHED" if exit_code == 0 else "FAILED"
    _end_run(active, status)
    logger.info(
        "project run ended run_id=%s status=%s exit_code=%s", run_id, status, exit_code
    )
    return ProjectRun(
        run_id,
        active.info.experiment_id,
        status,
        exit_code,
        entry.name,
        command,
        project.directory,
    )


def _check_options(
    env_manager: str, experiment_name: str | None, experiment_id: str | None
) -> None:
    if env_manager not in ENV_MANAGERS:
        raise InvalidInputError(
            f"env manager {env_manager!r} is unknown; use one of "
            f"{', '.join(ENV_MANAGERS)}"
        )
    if experiment_name is not None and experiment_id is not None:
        raise InvalidInputError(
            "pass experiment_name or experiment_id, not both: the name decides the id"
        )
    if experiment_name is not None:
        v.check_experiment_name(experiment_name)


def _check_params(params: Mapping[str, str], project: str) -> None:
    """The SDK's rules for params, checked now so that a bad one stops the
    project before its run exists rather than failing the run."""
    for key, value in params.items():
        v.check_key("param", key, project, owner="project")
        v.check_text("param", key, value, v.MAX_PARAM_VALUE_LENGTH, project, "project")


def _start_run(
    source: Source,
    entry: EntryPoint,
    env_manager: str,
    experiment_name: str | None,
    experiment_id: str | None,
    run_name: str | None,
) -> runstream.ActiveRun:
    if experiment_name is not None:
        experiment_id = _ensure_experiment(experiment_name)
    tags = {
        **source.tags(),
        "mlflow.source.type": "PROJECT",
        "mlflow.project.entryPoint": entry.name,
        "mlflow.project.env": env_manager,
        "mlflow.project.backend": "local",
    }
    # Started from inside a run (a multi-step project, say), the project run is
    # its child, whether that run is active here or only inherited by id.
    parent = runstream.active_run()
    parent_id = parent.info.run_id if parent else os.environ.get(RUN_ID_VARIABLE)
    with _without_variable(RUN_ID_VARIABLE):
        active = runstream.start_run(
            experiment_id=experiment_id,
            run_name=run_name,
            nested=True,
            tags=tags,
            parent_run_id=parent_id or None,
        )
    logger.info(
        "project run started run_id=%s entry_point=%s source=%s",
        active.info.run_id,
        entry.name,
        source.name,
    )
    return active


def _ensure_experiment(name: str) -> str:
    """The id of experiment ``name``, announced on the log, without making it the
    caller's active experiment as ``set_experiment`` would."""
    experiment_id = experiment_id_for(name)
    # TODO: a public SDK call that announces an experiment without activating it.
    tracking._announce_experiment(experiment_id, name)
    return experiment_id


def _end_run(active: runstream.ActiveRun, status: str) -> None:
    if runstream.active_run() is active:
        runstream.end_run(status)
    else:
        # Another thread started a run meanwhile; end ours, not the innermost.
        tracking._end(active, status)


@contextmanager
def _without_variable(name: str) -> Iterator[None]:
    """Hide ``name`` from the SDK for a moment: start_run() resumes the run it
    names, and here a new run is wanted."""
    saved = os.environ.pop(name, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[name] = saved


def _execute(
    command: str, project: Project, environment: PreparedEnvironment, run_id: str
) -> int:
    env = environment.apply(_child_variables(run_id))
    shell = shutil.which("bash") or "/bin/sh"
    logger.info(
        "running command=%r in %s env_manager=%s",
        command,
        project.directory,
        environment.manager,
    )
    try:
        # The command inherits our stdout and stderr, so its output streams live.
        process = subprocess.Popen(
            [shell, "-c", command], cwd=project.directory, env=env
        )
    except OSError as exc:
        raise ProjectSetupError(
            f"could not start {shell} for run {run_id}: {exc}; check that a shell "
            "is installed"
        ) from exc
    try:
        return process.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the command too; give it time to end its own way.
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


def _child_variables(run_id: str) -> dict[str, str]:
    """This process's environment, plus what the command's SDK needs to write to
    the same log and run; paths are made absolute because the command runs in the
    project folder."""
    env = dict(os.environ)
    env[RUN_ID_VARIABLE] = run_id
    uri = runstream.get_tracking_uri()
    if "://" not in uri:
        uri = str(Path(uri).resolve())
    env["RUNSTREAM_TRACKING_URI"] = uri
    env["RUNSTREAM_HOME"] = str(load_settings().home.resolve())
    # Python buffers a piped stdout; unbuffered, the output streams as it happens.
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
