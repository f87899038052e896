"""Where a project comes from: a local folder, or a Git repository at a version.

A URI may end in ``#subdirectory`` to name the project inside a larger folder or
repository. A Git URI (``https://``, ``ssh://``, ``git://``, ``file://``, ``git+…``
or ``user@host:path``), or a local repository together with a version, is cloned
into the cache: one mirror per URL, refreshed on each use, and one work tree per
commit. Work trees are shared by runs of the same commit, so a project should write
its outputs as artifacts rather than into its own folder.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

from runstream.errors import InvalidInputError, ProjectSetupError
from runstream.projects.cache import entry_name, locked

logger = logging.getLogger(__name__)

_GIT_URL = re.compile(r"^(git\+)?(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
GIT_TIMEOUT_S = 600


@dataclass(frozen=True)
class Source:
    """A project folder on this machine and what it was fetched from."""

    directory: Path
    name: str
    repo_url: str | None = None
    commit: str | None = None
    branch: str | None = None

    def tags(self) -> dict[str, str]:
        """The run tags that let someone fetch the same code again."""
        tags = {"mlflow.source.name": self.name}
        if self.repo_url:
            tags["mlflow.source.git.repoURL"] = self.repo_url
        if self.commit:
            tags["mlflow.source.git.commit"] = self.commit
        if self.branch:
            tags["mlflow.source.git.branch"] = self.branch
        return tags


def is_git_uri(uri: str) -> bool:
    return bool(_GIT_URL.match(uri.partition("#")[0]))


def fetch_source(uri: str, version: str | None, cache_root: Path) -> Source:
    """The project folder for ``uri`` at ``version`` (a commit, tag or branch)."""
    base, _, subdirectory = uri.partition("#")
    if is_git_uri(base) or version is not None:
        return _from_git(uri, base, subdirectory, version, cache_root)

    root = Path(base).expanduser().resolve()
    if not root.is_dir():
        raise InvalidInputError(
            f"project {uri!r} is neither a folder nor a Git URI; pass a folder "
            "holding an MLproject file, or a URL such as https://host/repo.git"
        )
    directory = _subdirectory(root, subdirectory, uri)
    commit, repo_url, branch = _local_git_info(directory)
    return Source(directory, str(directory), repo_url, commit, branch)


def _from_git(
    uri: str, base: str, subdirectory: str, version: str | None, cache_root: Path
) -> Source:
    url = base.removeprefix("git+")
    if "://" not in url and not _GIT_URL.match(url):
        # A local repository: clone from its absolute path, wherever we stand.
        path = Path(url).expanduser().resolve()
        if not path.is_dir():
            raise InvalidInputError(
                f"Git repository {url!r} does not exist; pass a repository path or "
                "URL, or drop --version to run a plain folder"
            )
        url = str(path)

    shown = redact(url)
    name = f"{shown}#{subdirectory}" if subdirectory else shown
    entry = cache_root / "git" / entry_name(url, PurePosixPath(shown).name)
    with locked(entry):
        mirror = _update_mirror(url, entry / "mirror.git", version)
        commit = _resolve(mirror, shown, version)
        branch = _branch(mirror, version)
        checkout = _checkout(mirror, entry / "checkouts" / commit, commit)
    directory = _subdirectory(checkout, subdirectory, uri)
    logger.info("fetched project uri=%s commit=%s folder=%s", name, commit, directory)
    return Source(directory, name, shown, commit, branch)


def redact(url: str) -> str:
    """``url`` without a password or token, fit for tags, logs and messages."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _update_mirror(url: str, mirror: Path, version: str | None) -> Path:
    if not (mirror / "HEAD").is_file():
        shutil.rmtree(mirror, ignore_errors=True)
        logger.info("cloning url=%s into %s", redact(url), mirror)
        _git("clone", "--mirror", "--quiet", "--", url, str(mirror))
        return mirror
    if version is not None and _FULL_SHA.match(version):
        if _git_ok("-C", str(mirror), "cat-file", "-e", f"{version}^{{commit}}"):
            return mirror  # a commit never changes: no need to ask the remote
    try:
        _git("-C", str(mirror), "fetch", "--prune", "--quiet")
    except ProjectSetupError as exc:
        # Offline with a cached mirror: what it holds may still have the version.
        logger.warning(
            "could not refresh url=%s, using the cached clone: %s", redact(url), exc
        )
    return mirror


def _resolve(mirror: Path, url: str, version: str | None) -> str:
    revision = f"{version or 'HEAD'}^{{commit}}"
    try:
        return _git("-C", str(mirror), "rev-parse", "--verify", "--quiet", revision)
    except ProjectSetupError:
        raise InvalidInputError(
            f"version {version!r} is not a commit, tag or branch of {url}; pass one "
            "that exists there (git ls-remote lists them)"
        ) from None


def _branch(mirror: Path, version: str | None) -> str | None:
    if version is None:
        return _git_output("-C", str(mirror), "symbolic-ref", "--short", "HEAD")
    ref = f"refs/heads/{version}"
    return version if _git_ok("-C", str(mirror), "show-ref", "--verify", ref) else None


def _checkout(mirror: Path, checkout: Path, commit: str) -> Path:
    if (checkout / ".git").exists():
        logger.debug("reusing checkout commit=%s", commit)
        return checkout
    partial = checkout.with_name(checkout.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    _git("clone", "--quiet", "--no-checkout", "--", str(mirror), str(partial))
    _git("-C", str(partial), "checkout", "--quiet", "--detach", commit)
    # TODO: check out submodules too; their URLs may need credentials we lack.
    partial.rename(checkout)
    return checkout


def _subdirectory(root: Path, subdirectory: str, uri: str) -> Path:
    if not subdirectory:
        return root
    directory = (root / subdirectory).resolve()
    if not directory.is_relative_to(root) or not directory.is_dir():
        raise InvalidInputError(
            f"subdirectory {subdirectory!r} of {uri!r} is not a folder inside the "
            "project; after # name a folder of the repository, e.g. #examples/train"
        )
    return directory


def _local_git_info(directory: Path) -> tuple[str | None, str | None, str | None]:
    """Commit, origin URL and branch when a local folder is inside a Git work tree,
    so even a run from a plain folder records which code it ran."""
    commit = _git_output("-C", str(directory), "rev-parse", "HEAD")
    if commit is None:
        return None, None, None
    origin = _git_output("-C", str(directory), "remote", "get-url", "origin")
    branch = _git_output("-C", str(directory), "rev-parse", "--abbrev-ref", "HEAD")
    return commit, origin, branch if branch != "HEAD" else None


def _git(*args: str) -> str:
    """Run git and return its output; a failure names the command and says why."""
    git = shutil.which("git")
    if git is None:
        raise ProjectSetupError(
            "git was not found on PATH; install Git to run projects from a Git URI"
        )
    # Never wait on a password prompt: a run without a terminal would hang.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    shown = " ".join(redact(arg) for arg in args)
    logger.debug("git %s", shown)
    try:
        done = subprocess.run(
            [git, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=GIT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProjectSetupError(
            f"git {shown} took over {GIT_TIMEOUT_S} s; check the network and the URL"
        ) from exc
    if done.returncode != 0:
        detail = done.stderr.strip() or done.stdout.strip()
        for arg in args:
            detail = detail.replace(arg, redact(arg))
        raise ProjectSetupError(
            f"git {shown} failed ({done.returncode}): {detail}; check the URL, the "
            "version and your access to the repository"
        )
    return done.stdout.strip()


def _git_output(*args: str) -> str | None:
    """git's output, or None when it fails: for facts that are nice to have."""
    try:
        return _git(*args) or None
    except ProjectSetupError:
        return None


def _git_ok(*args: str) -> bool:
    try:
        _git(*args)
    except ProjectSetupError:
        return False
    return True
