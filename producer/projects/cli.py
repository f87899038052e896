"""``runstream run``: the projects command, registered in ``runstream.cli``."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated

import typer

from runstream.errors import RunstreamError

logger = logging.getLogger(__name__)


class EnvManager(StrEnum):
    local = "local"
    virtualenv = "virtualenv"
    conda = "conda"


def run_command(
    uri: Annotated[
        str,
        typer.Argument(
            help="A project folder or Git URI; add #subdir for a folder in it."
        ),
    ],
    entry_point: Annotated[
        str, typer.Option("--entry-point", "-e", help="The entry point to run.")
    ] = "main",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-P", help="A parameter as key=value; repeatable."),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Git commit, tag or branch to run."),
    ] = None,
    experiment_name: Annotated[
        str | None, typer.Option("--experiment-name", help="Experiment of the run.")
    ] = None,
    experiment_id: Annotated[
        str | None, typer.Option("--experiment-id", help="Experiment id of the run.")
    ] = None,
    run_name: Annotated[
        str | None, typer.Option("--run-name", help="Name of the run.")
    ] = None,
    env_manager: Annotated[
        EnvManager,
        typer.Option("--env-manager", help="Where the command runs."),
    ] = EnvManager.local,
) -> None:
    """Run a project's entry point as a tracked run; exits with its exit status."""
    from runstream.projects.params import parse_assignments
    from runstream.projects.runner import run

    try:
        ended = run(
            uri,
            entry_point,
            parse_assignments(param or []),
            version=version,
            experiment_name=experiment_name,
            experiment_id=experiment_id,
            run_name=run_name,
            env_manager=env_manager.value,
        )
    except RunstreamError as exc:
        typer.echo(f"runstream run: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"run {ended.run_id} {ended.status} (exit code {ended.exit_code})")
    if ended.status != "FINISHED":
        code = ended.exit_code or 1
        # A signal shows as -N; shells report it as 128 + N.
        raise typer.Exit(code if code > 0 else 128 - code)
