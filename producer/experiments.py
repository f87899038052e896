"""Experiments: the writes (create, rename, delete, restore, tags) as events.

Experiment ids derive from the name, so every process that names the same
experiment agrees on its id without asking a server. Reads (get, search) go
through the query API: see ``reads.py``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from typing import Any

from runstream import validation as v
from runstream.context import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    sender,
    state,
)
from runstream.entities import Experiment
from runstream.errors import InvalidInputError

logger = logging.getLogger(__name__)


def experiment_id_for(name: str) -> str:
    """Experiment ids derive from the name, so every process that sets the same
    experiment agrees on its id without asking a server."""
    if name == DEFAULT_EXPERIMENT_NAME:
        return DEFAULT_EXPERIMENT_ID
    digest = hashlib.sha256(name.encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**18)


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active for new runs, creating it if needed."""
    if experiment_name is None and experiment_id is None:
        raise InvalidInputError("set_experiment needs experiment_name or experiment_id")
    if experiment_name is not None:
        v.check_experiment_name(experiment_name)
        experiment_id = experiment_id_for(experiment_name)
        announce_experiment(experiment_id, experiment_name)
    else:
        experiment_id = v.check_experiment_id(experiment_id)
    with state.lock:
        state.experiment_id = experiment_id
        state.experiment_name = experiment_name or ""
    return Experiment(experiment_id, experiment_name or "")


def announce_experiment(experiment_id: str, name: str, location: str = "") -> None:
    """Send ExperimentCreated once per process; the projection keeps the first."""
    with state.lock:
        if experiment_id in state.announced:
            return
        state.announced.add(experiment_id)
    sender().submit(
        "ExperimentCreated",
        {"experiment_id": experiment_id, "name": name, "artifact_location": location},
    )


def create_experiment(
    name: str,
    artifact_location: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> str:
    """Create an experiment (or find the one of that name) and return its id.

    TODO: creating a name that an earlier experiment was renamed away from, or
    one that is deleted, is not refused: the SDK does not read before writing.
    """
    v.check_experiment_name(name)
    experiment_id = experiment_id_for(name)
    location = _location(artifact_location)
    # Checked before the experiment is announced, so a bad tag creates nothing.
    checked = (
        {} if tags is None else _checked_tags(experiment_id, tags, "create_experiment")
    )
    announce_experiment(experiment_id, name, location)
    _submit_tags(experiment_id, checked)
    logger.info("experiment created experiment_id=%s name=%s", experiment_id, name)
    return experiment_id


def rename_experiment(experiment_id: str, new_name: str) -> None:
    """Rename an experiment; its id stays (use ``set_experiment(experiment_id=...)``
    afterwards, since the new name derives another id)."""
    v.check_experiment_name(new_name)
    sender().submit(
        "ExperimentRenamed",
        {"experiment_id": _experiment_id(experiment_id), "name": new_name},
    )


def delete_experiment(experiment_id: str) -> None:
    """Mark an experiment deleted; its runs stay and it can be restored."""
    if _experiment_id(experiment_id) == DEFAULT_EXPERIMENT_ID:
        raise InvalidInputError(
            "the Default experiment (id 0) cannot be deleted; delete its runs instead"
        )
    sender().submit("ExperimentDeleted", {"experiment_id": experiment_id})


def restore_experiment(experiment_id: str) -> None:
    sender().submit(
        "ExperimentRestored", {"experiment_id": _experiment_id(experiment_id)}
    )


def set_experiment_tag(experiment_id: str, key: str, value: Any) -> None:
    set_experiment_tags(experiment_id, {key: value})


def set_experiment_tags(experiment_id: str, tags: Mapping[str, Any]) -> None:
    """Tags of an experiment, all checked before any is sent."""
    eid = _experiment_id(experiment_id)
    _submit_tags(eid, _checked_tags(eid, tags, "set_experiment_tags"))


def _checked_tags(eid: str, tags: object, call: str) -> dict[str, str]:
    return {
        v.check_key("tag", key, eid, owner="experiment"): v.check_text(
            "tag", key, value, v.MAX_TAG_VALUE_LENGTH, eid, owner="experiment"
        )
        for key, value in v.mapping_items(call, "tags", tags, f" for experiment {eid}")
    }


def _submit_tags(eid: str, checked: dict[str, str]) -> None:
    out = sender()
    for key, value in checked.items():
        out.submit(
            "ExperimentTagSet", {"experiment_id": eid, "key": key, "value": value}
        )


def _location(artifact_location: object) -> str:
    if artifact_location is None:
        return ""
    if isinstance(artifact_location, os.PathLike):
        artifact_location = os.fspath(artifact_location)
    if not isinstance(artifact_location, str):
        raise v.wrong_type(
            "create_experiment",
            "artifact_location",
            "a URI or path (str) where the experiment's artifacts go, or None",
            artifact_location,
        )
    return artifact_location


def delete_experiment_tag(experiment_id: str, key: str) -> None:
    eid = _experiment_id(experiment_id)
    sender().submit(
        "ExperimentTagDeleted",
        {"experiment_id": eid, "key": v.check_key("tag", key, eid, owner="experiment")},
    )


def _experiment_id(experiment_id: object) -> str:
    if not isinstance(experiment_id, str) or not experiment_id.strip():
        raise InvalidInputError(
            f"experiment id {experiment_id!r} must be a non-empty string such as "
            "the one create_experiment returned"
        )
    return experiment_id
