"""Fixtures for project tests: a cache under the test's folder, small projects
written on the fly, local Git repositories, and a view of what a run recorded."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from projects_support import MLPROJECT, RECORD_SCRIPT, Recorded, Repo, git

from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService


@pytest.fixture(autouse=True)
def project_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """RUNSTREAM_HOME for the test, so clones and environments stay in it."""
    home = tmp_path / "home"
    monkeypatch.setenv("RUNSTREAM_HOME", str(home))
    monkeypatch.delenv("RUNSTREAM_RUN_ID", raising=False)
    return home


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Write a project folder from ``{relative path: text}``; the default is the
    recorder project of projects_support."""

    def make(files: dict[str, str] | None = None, name: str = "project") -> Path:
        folder = tmp_path / name
        files = files or {"MLproject": MLPROJECT, "record.py": RECORD_SCRIPT}
        for relative, text in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return folder

    return make


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "--quiet", "-b", "main")

    def commit(answer: int, message: str) -> str:
        project = path / "proj"
        project.mkdir(exist_ok=True)
        text = MLPROJECT.replace("default: 42", f"default: {answer}")
        (project / "MLproject").write_text(text)
        (project / "record.py").write_text(RECORD_SCRIPT)
        git(path, "add", "-A")
        git(path, "commit", "--quiet", "-m", message)
        return git(path, "rev-parse", "HEAD")

    first = commit(1, "first")
    git(path, "tag", "v1")
    second = commit(2, "second")
    git(path, "checkout", "--quiet", "-b", "feature")
    feature = commit(3, "feature")
    git(path, "checkout", "--quiet", "main")
    return Repo(path, first, second, feature)


@pytest.fixture
def recorded(service: ProjectionService, store: ClickHouseStore) -> Recorded:
    return Recorded(service, store)
