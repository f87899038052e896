"""The registry projection on its own: documents in a blob store, from events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runstream.blobs import LocalBlobStore
from runstream.consumers.registry import RegistryProjector, registry_blobs
from runstream.consumers.states import PrefixedBlobStore
from runstream.events import REGISTRY_TOPIC, Event, decode, encode
from runstream.log import Position
from runstream.registry.documents import BlobReader


def event(kind: str, name: str, first_name: str | None = None, **fields: Any) -> Event:
    payload = {
        "registered_name": first_name or name,
        "name": name,
        "user": "ana",
        **fields,
    }
    return Event(kind, payload, occurred_at=1_000)


def created(name: str) -> Event:
    return event("RegisteredModelCreated", name, description=None, tags={})


def version(name: str, run_id: str) -> Event:
    return event(
        "ModelVersionCreated",
        name,
        source=f"runs:/{run_id}/model",
        run_id=run_id,
        description=None,
        tags={},
    )


def stage(name: str, number: int, to: str, archive: bool = False) -> Event:
    return event(
        "ModelVersionStageTransitioned",
        name,
        version=number,
        stage=to,
        archive_existing_versions=archive,
    )


def batch(*events: Event, partition: int = 0, start: int = 0) -> list:
    return [
        (Position(REGISTRY_TOPIC, partition, start + i), e)
        for i, e in enumerate(events)
    ]


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_every_registry_event_round_trips_through_avro() -> None:
    samples = [
        created("m"),
        version("m", "r1"),
        stage("m", 1, "Production", archive=True),
        event("RegisteredModelRenamed", "m", new_name="n"),
        event("RegisteredModelTagSet", "m", key="k", value=None),
        event("AliasSet", "m", alias="champion", version=1),
    ]
    for sample in samples:
        back = decode(encode(sample))
        assert back.payload == sample.payload
        assert back.key == "m" and back.topic == REGISTRY_TOPIC


def test_one_document_per_model_with_its_position(blobs: LocalBlobStore) -> None:
    RegistryProjector(blobs).apply(
        batch(created("m"), version("m", "r1"), stage("m", 1, "Staging"), start=7)
    )
    raw = json.loads(b"".join(blobs.open_chunks("registry/m.json")))
    assert raw["positions"] == {"0": 9}
    assert raw["versions"]["1"]["current_stage"] == "Staging"
    assert raw["versions"]["1"]["run_id"] == "r1"


def test_applying_a_batch_again_changes_nothing(blobs: LocalBlobStore) -> None:
    projector = RegistryProjector(blobs)
    events = batch(created("m"), version("m", "r1"), version("m", "r2"))
    projector.apply(events)
    first = BlobReader(blobs).document("m")
    projector.apply(events)  # a redelivery after a crash before the commit
    projector.apply(events[1:])
    assert BlobReader(blobs).document("m") == first
    assert sorted(first["versions"]) == ["1", "2"]  # type: ignore[index]


def test_rename_moves_the_document_and_leaves_a_tombstone(
    blobs: LocalBlobStore,
) -> None:
    projector = RegistryProjector(blobs)
    projector.apply(batch(created("a"), version("a", "r1"), stage("a", 1, "Staging")))
    # One batch: the rename, then an event for the new name keyed by the first
    # name, then a fresh model under the old name.
    projector.apply(
        batch(
            event("RegisteredModelRenamed", "a", new_name="b"),
            event("AliasSet", "b", first_name="a", alias="champion", version=1),
            created("a"),
            start=3,
        )
    )
    reader = BlobReader(blobs)
    moved = reader.document("b")
    assert moved is not None and moved["aliases"] == {"champion": 1}
    assert moved["previous_names"] == ["a"] and moved["registered_name"] == "a"
    kinds = [h["kind"] for h in moved["history"]]
    assert kinds == [
        "model_created",
        "version_created",
        "stage",
        "model_renamed",
        "alias",
    ]
    fresh = reader.document("a")
    assert fresh is not None and fresh["status"] == "active"
    assert fresh["versions"] == {} and fresh["positions"] == {"0": 5}


def test_an_event_breaking_a_rule_is_recorded_not_applied(
    blobs: LocalBlobStore,
) -> None:
    RegistryProjector(blobs).apply(
        batch(created("m"), stage("m", 9, "Production"), created("m"))
    )
    doc = BlobReader(blobs).document("m")
    assert doc is not None
    assert [(r["offset"], r["code"]) for r in doc["rejected"]] == [
        (1, "not_found"),
        (2, "already_exists"),
    ]
    assert doc["positions"] == {"0": 2} and doc["history"][-1]["kind"] == (
        "model_created"
    )


def test_archive_existing_versions_archives_only_the_target_stage(
    blobs: LocalBlobStore,
) -> None:
    RegistryProjector(blobs).apply(
        batch(
            created("m"),
            version("m", "a"),
            version("m", "b"),
            version("m", "c"),
            stage("m", 1, "Production"),
            stage("m", 2, "Staging"),
            stage("m", 3, "Production", archive=True),
        )
    )
    doc = BlobReader(blobs).document("m")
    assert doc is not None
    stages = {k: v["current_stage"] for k, v in doc["versions"].items()}
    assert stages == {"1": "Archived", "2": "Staging", "3": "Production"}


def test_a_replayed_state_builds_its_own_documents(blobs: LocalBlobStore) -> None:
    # The live documents hold everything; a replay into a state's prefix must
    # neither start from them nor show them.
    events = batch(created("m"), version("m", "r1"), version("m", "r2"))
    RegistryProjector(blobs).apply(events)
    state = PrefixedBlobStore(blobs, "states/early/")
    RegistryProjector(state).apply(events[:2])

    replayed = BlobReader(registry_blobs(state)).document("m")
    assert replayed is not None and sorted(replayed["versions"]) == ["1"]
    assert blobs.exists("states/early/registry/m.json")
    assert BlobReader(registry_blobs(state)).document("other") is None
    RegistryProjector(blobs).apply(batch(created("other"), start=3))
    assert BlobReader(registry_blobs(state)).document("other") is None
