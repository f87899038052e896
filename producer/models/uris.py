"""From a model URI to a local model folder.

A local path (or ``file://`` URI) is used where it is. ``runs:/`` URIs are
downloaded through the query API; ``models:/`` URIs are resolved in the registry
to their version's source, which is then fetched the same way.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from runstream.errors import InvalidInputError, NotFoundError
from runstream.reads import QueryApi
from runstream.registry.client import RegistryClient
from runstream.registry.uris import parse_runs_uri

logger = logging.getLogger(__name__)

MAX_HOPS = 5


def local_model_folder(
    model_uri: str | Path,
    dst_path: str | Path | None = None,
    registry: RegistryClient | None = None,
    api: QueryApi | None = None,
) -> Path:
    """The local folder holding the model ``model_uri`` names, downloading it
    into ``dst_path`` (a new temporary folder if None) when it is remote."""
    uri = str(model_uri)
    for _ in range(MAX_HOPS):
        if uri.startswith("models:/"):
            if registry is None:
                from runstream.registry import get_registry_client

                registry = get_registry_client()
            version = registry.get_model_version_by_uri(uri)
            logger.info(
                "model uri resolved uri=%s version=%d source=%s",
                uri,
                version.version,
                version.source,
            )
            uri = version.source
            continue
        if uri.startswith("runs:/"):
            return _download_run_model(uri, dst_path, api or QueryApi())
        if uri.startswith("file://"):
            uri = uri.removeprefix("file://")
        if "://" in uri:
            raise InvalidInputError(
                f"model URI {uri!r} is not one runstream reads; use a local path, "
                "runs:/<run_id>/<path> or models:/<name>/<version|stage>, "
                "models:/<name>@<alias>"
            )
        folder = Path(uri)
        if not folder.is_dir():
            raise NotFoundError(f"no model folder at {folder}")
        return folder
    raise InvalidInputError(
        f"model URI {model_uri!r} did not resolve to a model within {MAX_HOPS} "
        "steps; a version's source may point back at the registry"
    )


# TODO: a download into a new temporary folder is never removed; pass dst_path
# to choose (and clean up) where remote models land.
def _download_run_model(uri: str, dst_path: str | Path | None, api: QueryApi) -> Path:
    run_id, path = parse_runs_uri(uri)
    target = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="model-"))
    local = Path(api.download_artifacts(run_id, path, target))
    logger.info("model downloaded uri=%s path=%s", uri, local)
    return local
