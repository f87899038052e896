"""Parameters of an entry point: typed, checked, then quoted into its command.

Values travel as text, the way a shell passes them. ``float`` and ``int`` values must
parse as such; ``path`` values become absolute local paths and ``uri`` values without
a scheme do too, because the command runs inside the project folder, not where the
caller stood. A value the caller supplies is relative to the caller's folder; a
default is relative to the project folder, since the project's author wrote it.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from runstream.errors import InvalidInputError

if TYPE_CHECKING:
    from runstream.projects.spec import EntryPoint, Parameter


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["alpha=0.5", "data=x.csv"]`` from the command line, as a dict."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(
                f"parameter {item!r} is not key=value; pass -P alpha=0.5"
            )
        key = key.strip()
        if key in values and values[key] != value:
            raise InvalidInputError(
                f"parameter {key!r} is given twice ({values[key]!r} and {value!r}); "
                "pass it once"
            )
        values[key] = value
    return values


def check_value(parameter: Parameter, value: str, where: str) -> None:
    """Raise unless ``value`` has ``parameter``'s type; ``where`` names it."""
    if parameter.type == "float":
        try:
            float(value)
        except ValueError:
            raise InvalidInputError(
                f"{where} is {value!r}, which is not a float; pass a number such as 0.5"
            ) from None
    elif parameter.type == "int":
        try:
            int(value)
        except ValueError:
            raise InvalidInputError(
                f"{where} is {value!r}, which is not an int; pass a whole number "
                "such as 10"
            ) from None
    elif parameter.type in ("path", "uri") and not value.strip():
        raise InvalidInputError(f"{where} is empty; pass a {parameter.type}")


def resolve_parameters(
    entry_point: EntryPoint,
    supplied: Mapping[str, Any],
    project_dir: Path,
    caller_dir: Path,
) -> tuple[dict[str, str], dict[str, str]]:
    """The entry point's parameter values and the extra ones it does not declare.

    Every missing required parameter is named in one error, before anything runs.
    """
    given = {str(key): str(value) for key, value in supplied.items()}
    missing = [
        name
        for name, parameter in entry_point.parameters.items()
        if parameter.required and name not in given
    ]
    if missing:
        example = " ".join(f"-P {name}=..." for name in missing)
        raise InvalidInputError(
            f"entry point {entry_point.name!r} needs parameter(s) "
            f"{', '.join(missing)}; pass them, e.g. {example}"
        )

    values: dict[str, str] = {}
    for name, parameter in entry_point.parameters.items():
        where = f"parameter {name!r} of entry point {entry_point.name!r}"
        if name in given:
            value, base = given[name], caller_dir
        else:
            value, base = str(parameter.default), project_dir
        check_value(parameter, value, where)
        values[name] = _localize(parameter.type, value, base, where)
    extras = {k: v for k, v in given.items() if k not in entry_point.parameters}
    return values, extras


def _localize(kind: str, value: str, base: Path, where: str) -> str:
    if kind not in ("path", "uri"):
        return value
    scheme = urlparse(value).scheme
    if scheme == "file":
        return str(Path(unquote(urlparse(value).path)).resolve())
    # A one-letter scheme is a Windows drive, not a URI.
    if len(scheme) > 1:
        if kind == "uri":
            return value
        # TODO: download remote path parameters (s3://, http://) to a local folder.
        raise InvalidInputError(
            f"{where} is {value!r}, a remote location; a path parameter must be "
            "local, so download it first or declare the parameter as type uri"
        )
    return str((base / Path(value).expanduser()).resolve())


def render_command(
    entry_point: EntryPoint, values: Mapping[str, str], extras: Mapping[str, str]
) -> str:
    """The entry point's command with each ``{name}`` replaced by its quoted value;
    extra parameters follow as ``--key value``, as MLproject commands expect."""
    parts: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(entry_point.command):
        parts.append(literal)
        if name is not None:
            parts.append(shlex.quote(values[name]))
    for key, value in extras.items():
        parts.append(f" --{shlex.quote(key)} {shlex.quote(value)}")
    return "".join(parts)
