"""The ``MLproject`` descriptor: a project's name, entry points and environment.

    name: diabetes
    python_env: python_env.yaml        # or conda_env: conda.yaml, or neither
    entry_points:
      main:
        parameters:
          alpha: {type: float, default: 0.5}
          data: path                   # a type alone: required
        command: "python train.py --alpha {alpha} --data {data}"

Everything is checked when the file is read (types, defaults, the placeholders each
command uses), so a bad descriptor fails before anything runs.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from runstream.errors import InvalidInputError
from runstream.projects.params import check_value

logger = logging.getLogger(__name__)

DESCRIPTOR = "MLproject"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"
PARAMETER_TYPES = ("string", "float", "int", "path", "uri")
# Entry points that are not declared but name a file of the project run that file,
# so a folder without an MLproject can still run its scripts.
SCRIPT_RUNNERS = {".py": "python", ".sh": "bash"}

EnvironmentKind = Literal["python", "conda", "none"]


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str = "string"
    default: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class EntryPoint:
    name: str
    command: str
    parameters: dict[str, Parameter] = field(default_factory=dict)


@dataclass(frozen=True)
class Environment:
    """Where the project's environment is described; ``path`` is None for none."""

    kind: EnvironmentKind
    path: Path | None = None


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    entry_points: dict[str, EntryPoint]
    environment: Environment

    def entry_point(self, name: str) -> EntryPoint:
        """The entry point ``name``, or a script of the project run directly."""
        declared = self.entry_points.get(name)
        if declared is not None:
            return declared
        script = self.directory / name
        runner = SCRIPT_RUNNERS.get(script.suffix)
        if runner is not None and script.is_file():
            return EntryPoint(name, f"{runner} {name}")
        known = ", ".join(sorted(self.entry_points)) or "none declared"
        raise InvalidInputError(
            f"project {self.name!r} has no entry point {name!r} (entry points: "
            f"{known}); pass one of them with -e, or the name of a .py or .sh file "
            "in the project"
        )


def load_project(directory: Path) -> Project:
    """Read ``directory``'s MLproject; a folder without one has no declared entry
    points and takes its environment from python_env.yaml or conda.yaml."""
    directory = directory.resolve()
    if not directory.is_dir():
        raise InvalidInputError(
            f"project folder {str(directory)!r} does not exist; pass the path of a "
            "folder that holds an MLproject file, or a Git URI"
        )
    descriptor = _find_descriptor(directory)
    if descriptor is None:
        logger.debug("no %s in %s; scripts only", DESCRIPTOR, directory)
        return Project(directory.name, directory, {}, _default_environment(directory))

    document = read_yaml(descriptor)
    if not isinstance(document, dict):
        raise InvalidInputError(
            f"{descriptor} must be a mapping with name, entry_points and an optional "
            "python_env or conda_env"
        )
    name = str(document.get("name") or directory.name)
    entry_points = _entry_points(descriptor, document.get("entry_points") or {})
    environment = _environment(descriptor, document)
    logger.debug(
        "loaded project=%s entry_points=%s environment=%s",
        name,
        ",".join(entry_points),
        environment.kind,
    )
    return Project(name, directory, entry_points, environment)


def _find_descriptor(directory: Path) -> Path | None:
    exact = directory / DESCRIPTOR
    if exact.is_file():
        return exact
    for candidate in directory.iterdir():
        if candidate.name.lower() == DESCRIPTOR.lower() and candidate.is_file():
            return candidate
    return None


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidInputError(
            f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}; "
            "fix the file and run again"
        ) from exc


def _entry_points(descriptor: Path, section: Any) -> dict[str, EntryPoint]:
    if not isinstance(section, dict):
        raise InvalidInputError(
            f"entry_points in {descriptor} must map entry point names to their "
            "parameters and command"
        )
    return {
        str(name): _entry_point(descriptor, str(name), body)
        for name, body in section.items()
    }


def _entry_point(descriptor: Path, name: str, body: Any) -> EntryPoint:
    if not isinstance(body, dict) or not isinstance(body.get("command"), str):
        raise InvalidInputError(
            f"entry point {name!r} in {descriptor} needs a command string, e.g. "
            'command: "python train.py --alpha {alpha}"'
        )
    section = body.get("parameters") or {}
    if not isinstance(section, dict):
        raise InvalidInputError(
            f"parameters of entry point {name!r} in {descriptor} must map names to "
            "a type or to {type: ..., default: ...}"
        )
    parameters = {
        str(key): _parameter(descriptor, name, str(key), spec)
        for key, spec in section.items()
    }
    _check_placeholders(descriptor, name, body["command"], parameters)
    return EntryPoint(name, body["command"], parameters)


def _parameter(descriptor: Path, entry: str, name: str, spec: Any) -> Parameter:
    where = f"parameter {name!r} of entry point {entry!r} in {descriptor}"
    if spec is None or isinstance(spec, str):
        kind, default = spec or "string", None
    elif isinstance(spec, dict):
        kind, default = spec.get("type", "string"), spec.get("default")
    else:
        raise InvalidInputError(
            f"{where} must be a type name or {{type: ..., default: ...}}"
        )
    if kind not in PARAMETER_TYPES:
        raise InvalidInputError(
            f"{where} has type {kind!r}; use one of {', '.join(PARAMETER_TYPES)}"
        )
    if default is not None:
        default = str(default)
        check_value(Parameter(name, kind), default, f"the default of {where}")
    return Parameter(name, kind, default)


def _check_placeholders(
    descriptor: Path, entry: str, command: str, parameters: dict[str, Parameter]
) -> None:
    try:
        fields = list(string.Formatter().parse(command))
    except ValueError as exc:
        raise InvalidInputError(
            f"command of entry point {entry!r} in {descriptor} has unbalanced "
            f"braces ({exc}); write {{{{ and }}}} for literal braces"
        ) from exc
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if spec or conversion or name not in parameters:
            placeholder = "{" + name
            placeholder += f"!{conversion}" if conversion else ""
            placeholder += f":{spec}}}" if spec else "}"
            raise InvalidInputError(
                f"command of entry point {entry!r} in {descriptor} uses "
                f"{placeholder}; a placeholder must be a plain {{name}} of a "
                "declared parameter (write {{ and }} for literal braces)"
            )


def _environment(descriptor: Path, document: dict[str, Any]) -> Environment:
    directory = descriptor.parent
    if "docker_env" in document:
        # TODO: docker_env projects need a container backend, which runstream lacks.
        raise InvalidInputError(
            f"{descriptor} declares docker_env, which runstream cannot run yet; "
            "describe the environment with python_env or conda_env instead"
        )
    for key, kind in (("python_env", "python"), ("conda_env", "conda")):
        if key in document:
            path = directory / str(document[key])
            if not path.is_file():
                raise InvalidInputError(
                    f"{descriptor} names {key}: {document[key]}, but {path} does "
                    "not exist; add the file or remove the key"
                )
            return Environment(kind, path)  # type: ignore[arg-type]
    return _default_environment(directory)


def _default_environment(directory: Path) -> Environment:
    if (directory / PYTHON_ENV_FILE).is_file():
        return Environment("python", directory / PYTHON_ENV_FILE)
    if (directory / CONDA_ENV_FILE).is_file():
        return Environment("conda", directory / CONDA_ENV_FILE)
    return Environment("none")
