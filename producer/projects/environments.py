"""The environment a project's command runs in, chosen by ``--env-manager``.

``local``
    This interpreter's environment, as it is. Fast; reproduces nothing.
``virtualenv``
    A venv per distinct environment (python_env.yaml, or the Python version and pip
    packages of conda.yaml), cached under ``<home>/projects/envs``. The venv is made
    by this interpreter, and a ``.pth`` file links it to the site-packages runstream
    is installed in, so the command imports this very runstream (editable installs
    included) without building or downloading it. pip runs with that link in place,
    so a dependency the linked site-packages already satisfy is reused rather than
    downloaded: offline machines can build environments for projects whose needs
    runstream's own environment meets, and packages the project pins to other
    versions are installed into the venv, where they take precedence. The price is
    isolation: a package the project forgot to declare may still be importable.
``conda``
    ``conda env create`` from conda.yaml, cached under ``<home>/projects/conda``;
    only when a conda executable is present (CONDA_EXE or on PATH).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import site
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runstream.errors import InvalidInputError, ProjectSetupError
from runstream.projects.cache import entry_name, locked
from runstream.projects.spec import Project, read_yaml

logger = logging.getLogger(__name__)

ENV_MANAGERS = ("local", "virtualenv", "conda")
READY_MARKER = ".runstream-ready"
LINK_FILE = "_runstream_link.pth"
# Part of every cache key: bump it when the way environments are built changes.
BUILD_FORMAT = "1"
INSTALL_TIMEOUT_S = 1800


@dataclass(frozen=True)
class PreparedEnvironment:
    """How to run a command inside an environment: its ``bin`` folder goes first on
    PATH, so the command's ``python`` is the environment's."""

    manager: str
    bin_dir: Path
    variables: dict[str, str] = field(default_factory=dict)

    def apply(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` with this environment's variables and its ``bin`` on PATH."""
        path = env.get("PATH", "")
        merged = {**env, **self.variables}
        merged["PATH"] = (
            f"{self.bin_dir}{os.pathsep}{path}" if path else str(self.bin_dir)
        )
        merged.pop("PYTHONHOME", None)
        return merged


@dataclass(frozen=True)
class PythonEnvSpec:
    """What python_env.yaml asks for."""

    python: str | None = None
    build_dependencies: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()


def prepare_environment(
    project: Project, manager: str, cache_root: Path
) -> PreparedEnvironment:
    """Build (or find in the cache) the environment ``manager`` makes for
    ``project``."""
    if manager not in ENV_MANAGERS:
        raise InvalidInputError(
            f"env manager {manager!r} is unknown; use one of {', '.join(ENV_MANAGERS)}"
        )
    # Absolute: setup commands run in the project folder.
    cache_root = cache_root.resolve()
    if manager == "virtualenv":
        return _virtualenv(project, cache_root)
    if manager == "conda":
        return _conda(project, cache_root)
    if project.environment.path is not None:
        logger.info(
            "env manager local: %s is not applied; using %s",
            project.environment.path.name,
            sys.executable,
        )
    # Not resolved: a venv's python is a link, and its folder is what makes it one.
    return PreparedEnvironment("local", Path(sys.executable).parent)


# -- virtualenv ----------------------------------------------------------------------


def read_python_env(project: Project) -> PythonEnvSpec:
    """The project's environment as a python_env spec; conda.yaml contributes its
    Python version and pip packages."""
    environment = project.environment
    if environment.path is None:
        return PythonEnvSpec()
    document = read_yaml(environment.path) or {}
    if not isinstance(document, dict):
        raise InvalidInputError(
            f"{environment.path} must be a mapping; see the MLproject documentation "
            "for its keys"
        )
    if environment.kind == "conda":
        return _from_conda(environment.path, document)
    python = document.get("python")
    return PythonEnvSpec(
        str(python) if python is not None else None,
        _strings(environment.path, "build_dependencies", document),
        _strings(environment.path, "dependencies", document),
    )


def _strings(path: Path, key: str, document: dict[str, Any]) -> tuple[str, ...]:
    items = document.get(key) or []
    if not isinstance(items, list):
        raise InvalidInputError(
            f"{key} in {path} must be a list of pip requirements, e.g. - numpy>=1.26"
        )
    return tuple(str(item) for item in items)


def _from_conda(path: Path, document: dict[str, Any]) -> PythonEnvSpec:
    python: str | None = None
    pip: list[str] = []
    skipped: list[str] = []
    for item in document.get("dependencies") or []:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            pip.extend(str(requirement) for requirement in item["pip"])
        elif isinstance(item, str) and item.split("=")[0].strip() == "python":
            python = item.partition("=")[2].lstrip("=").strip() or None
        elif item != "pip":
            skipped.append(str(item))
    if skipped:
        logger.warning(
            "virtualenv from %s: conda packages %s are not installed; add their pip "
            "names under pip: or use --env-manager conda",
            path.name,
            ", ".join(skipped),
        )
    return PythonEnvSpec(python, (), tuple(pip))


def _virtualenv(project: Project, cache_root: Path) -> PreparedEnvironment:
    spec = read_python_env(project)
    _check_python_version(spec.python, project)
    key = json.dumps(
        [BUILD_FORMAT, sys.version, _host_site_dirs(), asdict(spec)], sort_keys=True
    )
    # Keyed by what the environment holds, not by project: projects that ask for
    # the same packages share one venv.
    venv = cache_root / "envs" / entry_name(key)
    with locked(venv):
        if (venv / READY_MARKER).is_file():
            logger.info("reusing virtualenv %s", venv)
        else:
            _build_virtualenv(venv, spec, project.directory)
    return PreparedEnvironment("virtualenv", venv / "bin", {"VIRTUAL_ENV": str(venv)})


def _check_python_version(wanted: str | None, project: Project) -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted is None or ".".join(wanted.split(".")[:2]) == running:
        return
    # TODO: build environments for other Python versions (needs pyenv or uv).
    raise ProjectSetupError(
        f"project {project.name!r} asks for Python {wanted}, but runstream runs on "
        f"{running} and builds environments from its own interpreter; set python: "
        f"{running} in the environment file, or run with --env-manager local"
    )


def _build_virtualenv(venv: Path, spec: PythonEnvSpec, project_dir: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    logger.info("creating virtualenv %s", venv)
    _call([sys.executable, "-m", "venv", str(venv)], "python -m venv", project_dir)
    python = venv / "bin" / "python"
    _link_runstream(python)
    for label, requirements in (
        ("build dependencies", spec.build_dependencies),
        ("dependencies", spec.dependencies),
    ):
        if not requirements:
            continue
        logger.info("installing %d %s into %s", len(requirements), label, venv)
        args = [arg for item in requirements for arg in _pip_args(item)]
        command = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
        _call([*command, "--no-input", *args], f"pip install of {label}", project_dir)
    (venv / READY_MARKER).write_text(json.dumps(asdict(spec)))


def _pip_args(requirement: str) -> list[str]:
    # Options such as "-r requirements.txt" are several arguments; a requirement
    # such as "numpy >= 1.26" is one.
    return shlex.split(requirement) if requirement.startswith("-") else [requirement]


# -- conda ---------------------------------------------------------------------------


def _conda(project: Project, cache_root: Path) -> PreparedEnvironment:
    environment = project.environment
    if environment.kind != "conda" or environment.path is None:
        raise InvalidInputError(
            f"project {project.name!r} has no conda.yaml, so conda has nothing to "
            "build; use --env-manager virtualenv or local"
        )
    conda = os.environ.get("CONDA_EXE") or shutil.which("conda")
    if not conda:
        raise ProjectSetupError(
            "conda was not found (CONDA_EXE unset and no conda on PATH); install "
            "conda, or run with --env-manager virtualenv, which reads conda.yaml's "
            "Python version and pip packages"
        )
    key = json.dumps([BUILD_FORMAT, _host_site_dirs(), environment.path.read_text()])
    prefix = cache_root / "conda" / entry_name(key)
    with locked(prefix):
        if (prefix / READY_MARKER).is_file():
            logger.info("reusing conda environment %s", prefix)
        else:
            shutil.rmtree(prefix, ignore_errors=True)
            logger.info("creating conda environment %s", prefix)
            command = [conda, "env", "create", "--prefix", str(prefix)]
            _call([*command, "--file", str(environment.path)], "conda env create")
            _link_runstream(prefix / "bin" / "python")
            (prefix / READY_MARKER).write_text(environment.path.name)
    variables = {"CONDA_PREFIX": str(prefix), "CONDA_DEFAULT_ENV": str(prefix)}
    return PreparedEnvironment("conda", prefix / "bin", variables)


# -- shared --------------------------------------------------------------------------


def _host_site_dirs() -> list[str]:
    return [str(Path(path).resolve()) for path in site.getsitepackages()]


def _link_runstream(python: Path) -> None:
    """Make this runstream importable from ``python``'s environment (see the module
    docstring for why a link rather than an install)."""
    probe = (
        "import sys, sysconfig; "
        "print(f'{sys.version_info[0]}.{sys.version_info[1]}'); "
        "print(sysconfig.get_paths()['purelib'])"
    )
    output = _call([str(python), "-c", probe], f"{python} -c").splitlines()
    version, purelib = output[-2], Path(output[-1])
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if version != running:
        # TODO: install runstream from source into environments of another Python.
        raise ProjectSetupError(
            f"the environment's Python is {version}, but runstream runs on {running} "
            "and can only lend its packages to the same version; pin python="
            f"{running} in conda.yaml"
        )
    lines = [f"import site; site.addsitedir({path!r})" for path in _host_site_dirs()]
    purelib.mkdir(parents=True, exist_ok=True)
    (purelib / LINK_FILE).write_text("\n".join(lines) + "\n")
    logger.debug("linked %s to %s", purelib, ", ".join(_host_site_dirs()))


def _call(command: list[str], what: str, cwd: Path | None = None) -> str:
    """Run a setup command, returning its output; a failure shows the output's
    tail, which is where pip and conda say what went wrong."""
    logger.debug("running %s", shlex.join(command))
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProjectSetupError(f"{what} could not run: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ProjectSetupError(
            f"{what} failed ({done.returncode}):\n{tail}\nfix the requirement it "
            "names in the environment file, or run with --env-manager local"
        )
    return done.stdout
