"""Environments: local as is, python_env and conda.yaml read, venvs and conda
prefixes built once and linked to this runstream. The virtualenv that installs a
project's dependencies is exercised end to end in test_run.py."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from runstream.errors import InvalidInputError
from runstream.projects import ProjectSetupError, load_project
from runstream.projects.environments import (
    LINK_FILE,
    READY_MARKER,
    PythonEnvSpec,
    prepare_environment,
    read_python_env,
)

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"

CONDA_YAML = f"""\
name: demo
channels: [conda-forge]
dependencies:
  - python={RUNNING}
  - pip
  - cudatoolkit=11.8
  - pip:
      - scikit-learn>=1.3
      - requests
"""

# Stands in for conda: records its arguments and makes a plain venv at --prefix.
FAKE_CONDA = f"""\
#!{sys.executable}
import os, subprocess, sys
args = sys.argv[1:]
with open(os.environ["FAKE_CONDA_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
prefix = args[args.index("--prefix") + 1]
subprocess.run([sys.executable, "-m", "venv", "--without-pip", prefix], check=True)
"""


def test_local_puts_this_interpreter_first_on_path(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = load_project(make_project({"python_env.yaml": "python: '2.7'\n"}))
    prepared = prepare_environment(project, "local", tmp_path)

    assert prepared.bin_dir == Path(sys.executable).parent
    env = prepared.apply({"PATH": "/usr/bin", "PYTHONHOME": "/x", "KEEP": "1"})
    assert env["PATH"] == f"{Path(sys.executable).parent}{os.pathsep}/usr/bin"
    assert "PYTHONHOME" not in env and env["KEEP"] == "1"


def test_python_env_is_read(make_project: Callable[..., Path]) -> None:
    folder = make_project(
        {
            "python_env.yaml": """\
                python: "3.11.7"
                build_dependencies: [pip, "setuptools>=69"]
                dependencies: ["numpy>=1.26", "-r requirements.txt"]
                """
        }
    )
    assert read_python_env(load_project(folder)) == PythonEnvSpec(
        "3.11.7", ("pip", "setuptools>=69"), ("numpy>=1.26", "-r requirements.txt")
    )


def test_conda_yaml_gives_virtualenv_its_python_and_pip_packages(
    make_project: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    folder = make_project({"conda.yaml": CONDA_YAML})
    with caplog.at_level(logging.WARNING):
        spec = read_python_env(load_project(folder))

    assert spec == PythonEnvSpec(RUNNING, (), ("scikit-learn>=1.3", "requests"))
    assert "conda packages cudatoolkit=11.8 are not installed" in caplog.text


def test_dependencies_must_be_a_list(make_project: Callable[..., Path]) -> None:
    folder = make_project({"python_env.yaml": "dependencies: numpy\n"})
    with pytest.raises(InvalidInputError, match="dependencies in .* must be a list"):
        read_python_env(load_project(folder))


def test_other_python_version_is_refused_before_building(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_project({"python_env.yaml": "python: '3.8'\n"})
    with pytest.raises(ProjectSetupError, match=f"asks for Python 3.8.*{RUNNING}"):
        prepare_environment(load_project(folder), "virtualenv", tmp_path / "cache")
    assert not (tmp_path / "cache" / "envs").exists()


def test_failed_install_names_the_requirement_and_is_retried_next_time(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    # A missing local path fails inside pip without asking any package index.
    folder = make_project({"python_env.yaml": "dependencies: [./not-a-package]\n"})
    project = load_project(folder)
    with pytest.raises(ProjectSetupError, match="pip install of dependencies failed"):
        prepare_environment(project, "virtualenv", tmp_path / "cache")

    venvs = list((tmp_path / "cache" / "envs").iterdir())
    assert not any((venv / READY_MARKER).exists() for venv in venvs)


def test_unknown_env_manager_is_refused(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    with pytest.raises(InvalidInputError, match="'docker' is unknown"):
        prepare_environment(load_project(make_project()), "docker", tmp_path)


def test_conda_needs_a_conda_yaml(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    with pytest.raises(InvalidInputError, match="has no conda.yaml"):
        prepare_environment(load_project(make_project()), "conda", tmp_path)


def test_conda_is_used_only_when_present(
    make_project: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONDA_EXE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    project = load_project(make_project({"conda.yaml": CONDA_YAML}))
    with pytest.raises(ProjectSetupError, match="conda was not found"):
        prepare_environment(project, "conda", tmp_path / "cache")


def test_conda_environment_is_built_once_and_imports_runstream(
    make_project: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conda = tmp_path / "bin" / "conda"
    conda.parent.mkdir()
    conda.write_text(FAKE_CONDA)
    conda.chmod(0o755)
    calls = tmp_path / "conda-calls.txt"
    monkeypatch.setenv("CONDA_EXE", str(conda))
    monkeypatch.setenv("FAKE_CONDA_LOG", str(calls))
    project = load_project(make_project({"conda.yaml": CONDA_YAML}))

    prepared = prepare_environment(project, "conda", tmp_path / "cache")
    again = prepare_environment(project, "conda", tmp_path / "cache")

    prefix = Path(prepared.variables["CONDA_PREFIX"])
    assert again == prepared and prepared.bin_dir == prefix / "bin"
    assert calls.read_text().splitlines() == [
        f"env create --prefix {prefix} --file {project.environment.path}"
    ]
    assert list(prefix.glob(f"lib/python*/site-packages/{LINK_FILE}"))
    done = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", "import runstream; print('ok')"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "ok", done.stderr
