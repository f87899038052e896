"""The ``runstream`` command line."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from runstream.allocator import limit_malloc_arenas
from runstream.auth import Role, TokenTable
from runstream.cli_options import check_home, check_port
from runstream.consumers.consume import consume_command
from runstream.errors import ConflictError, InvalidInputError, RunstreamError
from runstream.models.cli import app as models_app
from runstream.projects.cli import run_command
from runstream.replay_cli import replay
from runstream.settings import load_api_settings, load_auth_settings, load_settings

if TYPE_CHECKING:
    from runstream.consumers.service import ProjectionService


class _Commands(TyperGroup):
    """The root group: every command's RunstreamError, whose message already says
    what went wrong and how to fix it, ends as one ``error:`` line and status 1
    instead of a traceback; ``--verbose`` keeps the traceback."""

    # ctx is typer's click Context, which typer vendors (from 0.29) or not
    # depending on its version; Any fits both.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RunstreamError as e:
            if ctx.params.get("verbose"):
                raise
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from e


app = typer.Typer(
    cls=_Commands, help="runstream: event-sourced tracking for machine learning."
)
logger = logging.getLogger(__name__)

DASHBOARD_STOP_TIMEOUT_S = 10.0


@app.callback()
def main(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Log at DEBUG, every HTTP request included, and show the full "
            "traceback of an error.",
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs one INFO line per request; replay and models send many.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)


@app.command()
def server(
    host: Annotated[str, typer.Option(help="Address the API and dashboard bind.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option(help="Port of the query API.", callback=check_port)
    ] = 5000,
    dashboard_port: Annotated[
        int, typer.Option(help="Port of the dashboard.", callback=check_port)
    ] = 8501,
    home: Annotated[
        Path | None,
        typer.Option(envvar="RUNSTREAM_HOME", help="Where embedded data lives."),
    ] = None,
    dashboard: Annotated[
        bool, typer.Option(help="Start the Streamlit dashboard too.")
    ] = True,
) -> None:
    """Start the consumers, the query API and the dashboard; Ctrl-C or SIGTERM
    stops all."""
    try:
        _serve(host, port, dashboard_port, home, dashboard)
    except (_Terminated, KeyboardInterrupt):
        # _serve stopped what it had started; a stop asked for is a clean exit,
        # as uvicorn makes a Ctrl-C while it serves.
        pass


def _serve(
    host: str, port: int, dashboard_port: int, home: Path | None, dashboard: bool
) -> None:
    import uvicorn

    from runstream.api.app import create_app
    from runstream.consumers.service import ProjectionService

    api_url = f"http://{host}:{port}"
    dashboard_url = f"http://{host}:{dashboard_port}"
    overrides: dict[str, object] = {"api_url": api_url, "dashboard_url": dashboard_url}
    if home is not None:
        overrides["home"] = home
    settings = load_settings(**overrides)
    check_home(settings.home)

    # Before anything starts: uvicorn would find a taken port only after the
    # consumers and the dashboard are up, and say so in a log line.
    _check_port_free(host, port, "--port")
    if dashboard:
        _check_port_free(host, dashboard_port, "--dashboard-port")

    # Read every setting the API needs now, so a bad one stops nothing started.
    limits = load_api_settings()
    tokens = TokenTable.load(load_auth_settings())
    dashboard_env = {"RUNSTREAM_API_URL": api_url}
    if tokens.enabled and dashboard:
        # A read token of this server's own, so the dashboard needs none set up;
        # it lives only in this process and the dashboard's environment.
        token = secrets.token_urlsafe(32)
        tokens = tokens.with_token(token, Role.READ, "dashboard")
        dashboard_env["RUNSTREAM_TOKEN"] = token

    limit_malloc_arenas()  # before chDB and the API start their threads
    service = ProjectionService.open(settings)
    ui: subprocess.Popen[bytes] | None = None
    # Only from here: before, a SIGTERM finds nothing to stop, and raised inside
    # an import (chDB's) it would end as a misleading ImportError.
    with _sigterm_raises():
        try:
            service.start()
            if dashboard:
                ui = _start_dashboard(host, dashboard_port, dashboard_env)
            typer.echo(f"runstream API:       {api_url}  (OpenAPI at {api_url}/docs)")
            if ui is not None:
                typer.echo(f"runstream dashboard: {dashboard_url}")
            typer.echo(
                f"event log:           {Path(settings.log_location()).resolve()}"
            )
            typer.echo(f"authentication:      {_auth_summary(tokens)}")
            api_app = create_app(service, tokens=tokens, limits=limits)
            # uvicorn takes SIGINT and SIGTERM while it serves, stops, then raises
            # the signal again: Ctrl-C returns here, SIGTERM raises _Terminated.
            uvicorn.run(api_app, host=host, port=port, log_level="warning")
        finally:
            _stop(service, ui)


def _stop(service: ProjectionService, ui: subprocess.Popen[bytes] | None) -> None:
    # A second SIGTERM must not cut this short and leave the dashboard holding
    # its port; each step is bounded, and a supervisor out of patience sends
    # SIGKILL.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logger.info("runstream server stopping")
    if ui is not None:
        _stop_dashboard(ui)
    service.stop()
    service.store.close()
    logger.info("runstream server stopped")


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread as Ctrl-C raises KeyboardInterrupt, and
    for the same reason: so the ``finally`` that stops the server runs."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(signal.Signals(signum).name)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Let SIGTERM, which timeout, systemd and docker send, stop the server as
    Ctrl-C does; by default it ends the process before any cleanup runs."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_port_free(host: str, port: int, option: str) -> None:
    """Bind ``host:port`` once and let go, as the server will bind it."""
    # TODO: another process may take the port between this check and uvicorn's
    # bind; handing uvicorn the bound socket would close that gap.
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as e:
        raise InvalidInputError(
            f"cannot bind host {host!r} ({e.strerror}); pass --host with an address "
            "of this machine, such as 127.0.0.1 or 0.0.0.0"
        ) from e
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn does, so a port left in TIME_WAIT by a stopped server counts
        # as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            raise ConflictError(
                f"port {port} on {host} is in use ({e.strerror}); pass {option} "
                "with a free port, or stop what listens there (another runstream "
                "server?)"
            ) from e


def _auth_summary(tokens: TokenTable) -> str:
    if not tokens.enabled:
        return "off (set RUNSTREAM_AUTH_TOKENS_FILE to require tokens)"
    return f"on, {len(tokens)} tokens (docs/security.md)"


def _start_dashboard(
    host: str, port: int, env_overrides: dict[str, str]
) -> subprocess.Popen[bytes]:
    import runstream.dashboard

    page = Path(runstream.dashboard.__file__).parent / "app.py"
    command = [
        sys.executable, "-m", "streamlit", "run", str(page),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    env = {**os.environ, **env_overrides}
    # Its own process group, so Ctrl-C reaches it only through _stop_dashboard.
    # TODO: a server killed by SIGKILL leaves the dashboard holding its port;
    # PR_SET_PDEATHSIG in the child would end it with its parent.
    ui = subprocess.Popen(command, env=env, start_new_session=True)
    logger.info("dashboard started pid=%d port=%d", ui.pid, port)
    return ui


def _stop_dashboard(ui: subprocess.Popen[bytes]) -> None:
    ui.terminate()
    try:
        ui.wait(timeout=DASHBOARD_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        logger.warning(
            "dashboard did not stop within %ss; killing it pid=%d",
            DASHBOARD_STOP_TIMEOUT_S,
            ui.pid,
        )
        ui.kill()
        ui.wait()
    logger.info("dashboard stopped pid=%d", ui.pid)


app.command("run")(run_command)
app.command("consume")(consume_command)
app.command("replay")(replay)
app.add_typer(models_app, name="models")


if __name__ == "__main__":
    app()
