"""The projects cache: Git clones and environments, under ``RUNSTREAM_HOME``.

    <home>/projects/git/<repo>-<hash>/mirror.git         one mirror per Git URL
    <home>/projects/git/<repo>-<hash>/checkouts/<commit> one work tree per commit
    <home>/projects/envs/<hash>                          one venv per environment
    <home>/projects/conda/<hash>                         one conda prefix per conda.yaml

Several ``runstream run`` processes may fill the cache at once; each entry is built
while holding an exclusive lock on a file beside it.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runstream.settings import load_settings

logger = logging.getLogger(__name__)


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir`` if given, else ``<RUNSTREAM_HOME>/projects``; absolute."""
    if cache_dir is None:
        root = load_settings().home / "projects"
    else:
        root = Path(cache_dir)
    root = root.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def entry_name(text: str, readable: str = "") -> str:
    """A folder name for ``text``: a readable part (if any) and a short hash, so the
    same text always maps to the same entry."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", readable).strip("-.")[:40]
    return f"{slug}-{digest}" if slug else digest


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path.lock`` while building ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        logger.debug("waiting for lock path=%s", path)
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
