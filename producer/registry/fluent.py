"""The SDK's registry entry points: ``register_model`` and the default client.

The default client writes to the tracking URI's event log and reads through the
query API (RUNSTREAM_API_URL), so ``runstream server`` must be running: it owns
the projections that answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from runstream import context
from runstream.errors import AlreadyExistsError, NotFoundError
from runstream.log import open_log
from runstream.registry.client import RegistryClient
from runstream.registry.documents import ApiReader
from runstream.registry.entities import ModelVersion, is_active
from runstream.registry.uris import parse_runs_uri
from runstream.registry.writer import LogWriter

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_clients: dict[tuple[str, str], RegistryClient] = {}


def get_registry_client() -> RegistryClient:
    """The client for this process's tracking URI and query API."""
    config = context.settings()
    location, api_url = context.get_tracking_uri(), config.api_url
    with _lock:
        client = _clients.get((location, api_url))
        if client is None:
            writer = LogWriter(
                lambda: open_log(location, config.partitions),
                before_append=context.flush,
            )
            client = RegistryClient(writer, ApiReader(api_url), config.registry_wait_s)
            _clients[(location, api_url)] = client
        return client


def register_model(
    model_uri: str,
    name: str,
    tags: Mapping[str, Any] | None = None,
    client: RegistryClient | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` (``runs:/<run_id>/<path>`` keeps the
    run as the version's lineage) as a new version of ``name``, creating the
    registered model if it does not exist yet."""
    client = client or get_registry_client()
    run_id = None
    if model_uri.startswith("runs:/"):
        run_id, path = parse_runs_uri(model_uri)
        _wait_for_model_files(client, run_id, path, model_uri)
    if not is_active(client.reader.document(name)):
        try:
            client.create_registered_model(name)
        except AlreadyExistsError:
            pass  # another process created it meanwhile: register into that one
    return client.create_model_version(name, model_uri, run_id=run_id, tags=tags)


def _wait_for_model_files(
    client: RegistryClient, run_id: str, path: str, uri: str
) -> None:
    # The run may have logged the model a moment ago: give the projection the
    # same time a registry write gets.
    deadline = time.monotonic() + client.wait_s
    while not client.reader.has_model_files(run_id, path):
        if time.monotonic() >= deadline:
            raise NotFoundError(
                f"no model at {uri}: run {run_id} has no {path}/MLmodel after "
                f"{client.wait_s}s; log one with runstream.log_model(model, "
                f"{path!r}), and check that `runstream server` is running"
            )
        time.sleep(0.1)
