"""What a fresh environment needs to load a model: requirements and env files.

``requirements.txt`` pins the installed versions of the distributions a flavor
needs; ``python_env.yaml`` and ``conda.yaml`` wrap it the way MLflow's environment
managers expect, so ``mlflow models serve`` can rebuild the environment too.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_FILE = "conda.yaml"

# The env entry of a python_function flavor, naming the two files below.
ENV_CONF = {"conda": CONDA_FILE, "virtualenv": PYTHON_ENV_FILE}


def python_version() -> str:
    return platform.python_version()


def installed_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def pinned(distributions: Iterable[str]) -> list[str]:
    """``name==version`` for each installed distribution; missing ones are left
    unpinned rather than dropped, so the need is still written down."""
    pins = []
    for name in distributions:
        version = installed_version(name)
        pins.append(f"{name}=={version}" if version else name)
    return pins


def write_environment(folder: Path, requirements: list[str]) -> list[Path]:
    """Write the three files into ``folder`` and return them."""
    unique = list(dict.fromkeys(requirements))
    reqs = folder / REQUIREMENTS_FILE
    reqs.write_text("\n".join(unique) + "\n", encoding="utf-8")

    python_env = {
        "python": python_version(),
        "build_dependencies": pinned(["pip"]) + ["setuptools", "wheel"],
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    env_file = folder / PYTHON_ENV_FILE
    env_file.write_text(yaml.safe_dump(python_env, sort_keys=False), encoding="utf-8")

    conda = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={python_version()}", "pip", {"pip": unique}],
        "name": "runstream-model-env",
    }
    conda_file = folder / CONDA_FILE
    conda_file.write_text(yaml.safe_dump(conda, sort_keys=False), encoding="utf-8")
    return [reqs, env_file, conda_file]
