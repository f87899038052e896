"""Checks of the options the ``runstream`` commands share, made before anything
starts, so a bad value ends as the root command's one ``error:`` line instead of a
traceback from deep inside a server."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import typer

from runstream.errors import InvalidInputError

MAX_PORT = 65535


def check_port(param: typer.CallbackParam, value: int) -> int:
    """A typer callback for a port option: refuse what no socket can bind.

    0 is refused too: it would serve on a port nobody is told about."""
    if not 1 <= value <= MAX_PORT:
        option = param.opts[0] if param.opts else param.name
        raise InvalidInputError(
            f"{option} {value} is not a port; pass a number from 1 to {MAX_PORT}"
        )
    return value


def check_home(home: Path) -> None:
    """Create ``home`` if need be and make sure this process can write there."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        # As root, access() answers yes for any mode bits; a read-only file
        # system it still reports.
        if not os.access(home, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as e:
        raise InvalidInputError(
            f"home {str(home)!r} cannot be created or written ({e.strerror or e}); "
            "pass --home (or set RUNSTREAM_HOME) to a folder this user can write"
        ) from e
