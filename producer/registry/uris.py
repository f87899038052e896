"""Model URIs, and which registry version a ``models:/`` URI names.

runs:/<run_id>/<path>        a model a run logged
models:/<name>/<version>     a version by number
models:/<name>/<stage>       the newest version in a stage (any case)
models:/<name>/latest        the newest version
models:/<name>@<alias>       the version an alias points at
"""

from __future__ import annotations

import logging

from runstream.errors import InvalidInputError
from runstream.registry import names

logger = logging.getLogger(__name__)


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """(run_id, artifact path) of ``runs:/<run_id>/<path>``."""
    rest = uri.removeprefix("runs:/").strip("/")
    run_id, _, path = rest.partition("/")
    if not run_id or not path:
        raise InvalidInputError(
            f"model URI {uri!r} must look like runs:/<run_id>/<path>, such as "
            "runs:/4f2a.../model"
        )
    return run_id, path


def parse_models_uri(uri: str) -> tuple[str, str | None, str | None]:
    """(name, version or stage or 'latest', alias) of a ``models:/`` URI."""
    rest = uri.removeprefix("models:/").strip("/")
    if "/" in rest:
        name, _, selector = rest.rpartition("/")
        if name and selector:
            return names.check_name(name), selector, None
    elif "@" in rest:
        name, _, alias = rest.rpartition("@")
        if name and alias:
            return names.check_name(name), None, alias
    raise InvalidInputError(
        f"model URI {uri!r} must be models:/<name>/<version>, "
        "models:/<name>/<stage>, models:/<name>/latest or models:/<name>@<alias>"
    )
