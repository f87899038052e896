"""``runstream replay``: rebuild the projections from the log, or build a past state.

While ``runstream server`` runs it owns the store (chDB allows one process), so the
command asks the server to replay (``POST /api/v1/replays``) and follows the
progress over HTTP; with no server answering it opens the store and replays in
this process. Both draw the same progress bar.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from runstream.auth import bearer_headers
from runstream.errors import RunstreamError, StoreError
from runstream.settings import Settings, load_settings

logger = logging.getLogger(__name__)

POLL_S = 0.5
PIPE_WIDTH = 140
# A server that does not answer this fast is taken to be absent.
PROBE_TIMEOUT_S = 2.0

Report = dict[str, Any]


def replay(
    until: Annotated[
        str | None,
        typer.Option(
            help="Stop at this moment: a position 'partition:offset' (as a run's "
            "event history shows it), an ISO-8601 time (UTC unless it says "
            "otherwise) or epoch milliseconds. Needs --into."
        ),
    ] = None,
    into: Annotated[
        str | None,
        typer.Option(
            help="Build the state under this name beside the live one (read it with "
            "?state=<name>) instead of rebuilding the live projections."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Drop a state of the same name first.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option(envvar="RUNSTREAM_HOME", help="Where embedded data lives."),
    ] = None,
    local: Annotated[
        bool,
        typer.Option(
            help="Replay in this process even if a server answers (it must not be "
            "running on the same chDB folder)."
        ),
    ] = False,
) -> None:
    """Rebuild every projection from the start of the log into fresh tables and swap
    them in, or build the state as of --until beside the live one (--into).

    When a server answers at RUNSTREAM_API_URL it replays its own data, in its
    process; otherwise the store under --home is opened here."""
    overrides: dict[str, object] = {} if home is None else {"home": home}
    settings = load_settings(**overrides)
    request = {"into": into, "until": until, "replace": replace}
    try:
        if not local and _server_answers(settings.api_url):
            typer.echo(f"replaying in the server at {settings.api_url}")
            report = _follow(_remote(settings, request))
        else:
            typer.echo(
                f"replaying in this process (no server answered at {settings.api_url})"
            )
            report = _follow(_local(settings, request))
    except RunstreamError as e:
        typer.echo(f"replay failed: {e}", err=True)
        raise typer.Exit(1) from e

    typer.echo(_summary(report))
    if report["phase"] != "done":
        typer.echo(f"replay failed: {report.get('error')}", err=True)
        raise typer.Exit(1)


def _server_answers(api_url: str) -> bool:
    try:
        httpx.get(f"{api_url}/api/v1/health", timeout=PROBE_TIMEOUT_S)
    except httpx.HTTPError:
        return False
    return True


def _remote(settings: Settings, request: Report) -> Callable[[], Report]:
    """Start the replay in the server; return how to ask for its progress. A
    server with tokens on wants an admin token in RUNSTREAM_TOKEN."""
    http = httpx.Client(
        base_url=f"{settings.api_url}/api/v1",
        timeout=30,
        headers=bearer_headers(settings.token),
    )
    started = http.post("/replays", json=request)
    if started.status_code != 202:
        raise RunstreamError(
            f"the server refused the replay ({started.status_code}): "
            f"{started.json().get('detail', started.text)}"
        )
    replay_id = started.json()["replay_id"]

    def poll() -> Report:
        answer = http.get(f"/replays/{replay_id}")
        answer.raise_for_status()
        report: Report = answer.json()
        return report

    return poll


def _local(settings: Settings, request: Report) -> Callable[[], Report]:
    """Open the store here and replay in a thread; return how to ask for its
    progress."""
    from runstream.consumers.replay import Replay
    from runstream.consumers.service import ProjectionService
    from runstream.consumers.states import StateCatalog

    try:
        service = ProjectionService.open(settings)
    except StoreError as e:
        # Most often a server owns the store but listens elsewhere.
        raise StoreError(
            f"{e}; if it listens on another address than {settings.api_url}, set "
            "RUNSTREAM_API_URL to that address and the replay runs inside it"
        ) from e
    catalog = StateCatalog(service.store, service.blobs)
    job = Replay(
        service,
        catalog,
        into=request["into"],
        until=request["until"],
        replace=request["replace"],
    )

    def run() -> None:
        try:
            job.run()
        except Exception as e:  # the progress report carries it to the user
            logger.debug("local replay failed: %s", e)
        finally:
            service.store.close()

    threading.Thread(target=run, name="runstream-replay", daemon=True).start()
    return job.progress.to_dict


def _follow(poll: Callable[[], Report]) -> Report:
    """Draw the progress bar until the replay ends; return its last report."""
    columns = (
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        # The bar counts records read from the log; with --until, fewer are applied.
        TextColumn("records read · {task.fields[rate]} · {task.fields[points]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    # Off a terminal rich assumes 80 columns and cuts the line before the ETA.
    width = None if sys.stderr.isatty() else PIPE_WIDTH
    with Progress(*columns, console=Console(stderr=True, width=width)) as bar:
        task = bar.add_task("starting", total=None, rate="", points="")
        while True:
            report = poll()
            bar.update(
                task,
                description=report["phase"],
                total=report["records_total"] or None,
                completed=report["records_read"],
                rate=f"{report['events_per_s']:,} events/s",
                points=f"{report['points_per_s']:,} points/s",
            )
            if report["phase"] in ("done", "failed"):
                return report
            time.sleep(POLL_S)


def _summary(report: Report) -> str:
    where = "live (swapped in)" if report["state"] == "live" else report["state"]
    return (
        f"replay {report['replay_id']} {report['phase']}: "
        f"{report['events_applied']:,} events applied (of "
        f"{report['records_read']:,} records read), "
        f"{report['points_applied']:,} points in {report['elapsed_s']:.1f}s "
        f"({report['events_per_s']:,} events/s, "
        f"{report['points_per_s']:,} points/s) into {where}"
    )
