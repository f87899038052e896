"""Fetching projects: plain folders in place, Git repositories into the cache at a
commit, tag or branch. Every repository here is local; nothing touches the network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from projects_support import Repo, git

from runstream.errors import InvalidInputError
from runstream.projects import ProjectSetupError
from runstream.projects.source import fetch_source, is_git_uri, redact


def _default_answer(folder: Path) -> str:
    text = (folder / "MLproject").read_text()
    return text.split("default: ")[1].split("}")[0]


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://github.com/org/repo.git#sub", True),
        ("git+https://host/repo", True),
        ("ssh://git@host/repo.git", True),
        ("git@github.com:org/repo.git", True),
        ("file:///srv/repo", True),
        ("/srv/project", False),
        ("relative/project#sub", False),
    ],
)
def test_git_uris_are_told_from_folders(uri: str, expected: bool) -> None:
    assert is_git_uri(uri) is expected


def test_plain_folder_runs_in_place(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_project()
    source = fetch_source(str(folder), None, tmp_path / "cache")

    assert source.directory == folder.resolve()
    assert source.tags() == {"mlflow.source.name": str(folder.resolve())}
    assert not (tmp_path / "cache" / "git").exists()


def test_folder_inside_a_work_tree_records_its_commit(
    repo: Repo, tmp_path: Path
) -> None:
    git(repo.path, "remote", "add", "origin", "https://example.com/r.git")
    source = fetch_source(f"{repo.path}#proj", None, tmp_path / "cache")

    assert source.directory == (repo.path / "proj").resolve()
    assert source.tags() == {
        "mlflow.source.name": str((repo.path / "proj").resolve()),
        "mlflow.source.git.repoURL": "https://example.com/r.git",
        "mlflow.source.git.commit": repo.second,
        "mlflow.source.git.branch": "main",
    }


@pytest.mark.parametrize(
    ("version", "commit", "answer", "branch"),
    [
        ("first", "first", "1", None),
        ("v1", "first", "1", None),
        ("feature", "feature", "3", "feature"),
        (None, "second", "2", "main"),
    ],
)
def test_git_repository_is_cloned_at_the_version(
    repo: Repo,
    tmp_path: Path,
    version: str | None,
    commit: str,
    answer: str,
    branch: str | None,
) -> None:
    if version == "first":
        version = repo.first
    uri = f"file://{repo.path}#proj"
    source = fetch_source(uri, version, tmp_path / "cache")

    assert source.commit == getattr(repo, commit)
    assert source.branch == branch
    assert source.directory.is_relative_to(tmp_path / "cache" / "git")
    assert source.directory.name == "proj"
    assert _default_answer(source.directory) == answer
    tags = source.tags()
    assert tags["mlflow.source.name"] == uri
    assert tags["mlflow.source.git.repoURL"] == f"file://{repo.path}"
    assert tags["mlflow.source.git.commit"] == getattr(repo, commit)


def test_local_repository_path_with_a_version_is_cloned(
    repo: Repo, tmp_path: Path
) -> None:
    source = fetch_source(f"{repo.path}#proj", "v1", tmp_path / "cache")

    assert source.commit == repo.first
    assert source.repo_url == str(repo.path.resolve())
    assert _default_answer(source.directory) == "1"
    # The repository's own work tree is untouched.
    assert _default_answer(repo.path / "proj") == "2"


def test_cache_is_reused_and_refreshed(repo: Repo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    uri = f"file://{repo.path}#proj"
    first = fetch_source(uri, None, cache)
    again = fetch_source(uri, None, cache)
    assert again.directory == first.directory

    (repo.path / "proj" / "new.txt").write_text("x")
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "--quiet", "-m", "third")
    third = git(repo.path, "rev-parse", "HEAD")

    refreshed = fetch_source(uri, None, cache)
    assert refreshed.commit == third
    assert (refreshed.directory / "new.txt").is_file()
    assert len(list((cache / "git").glob("*/mirror.git"))) == 1


@pytest.mark.parametrize(
    ("suffix", "version", "message"),
    [
        ("#proj", "no-such-tag", "'no-such-tag' is not a commit, tag or branch"),
        ("#nothere", None, "subdirectory 'nothere'.*is not a folder inside"),
        ("#../..", None, "subdirectory '../..'.*is not a folder inside"),
    ],
)
def test_bad_version_or_subdirectory_is_refused(
    repo: Repo, tmp_path: Path, suffix: str, version: str | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        fetch_source(f"file://{repo.path}{suffix}", version, tmp_path / "cache")


def test_missing_folder_or_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="neither a folder nor a Git URI"):
        fetch_source(str(tmp_path / "nope"), None, tmp_path / "cache")
    with pytest.raises(InvalidInputError, match="Git repository .* does not exist"):
        fetch_source(str(tmp_path / "nope"), "v1", tmp_path / "cache")


def test_credentials_never_reach_tags_or_errors(tmp_path: Path) -> None:
    url = "file://user:s3cret@localhost/nowhere/repo.git"
    with pytest.raises(ProjectSetupError) as info:
        fetch_source(f"{url}#sub", None, tmp_path / "cache")
    assert "s3cret" not in str(info.value)
    assert redact(url) == "file://localhost/nowhere/repo.git"
    assert redact("git@github.com:org/repo.git") == "git@github.com:org/repo.git"
