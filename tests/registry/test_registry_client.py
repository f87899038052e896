"""The registry client against a running projection: every write is an event,
read back once projected."""

from __future__ import annotations

from pathlib import Path

import pytest

from runstream.blobs import LocalBlobStore
from runstream.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    ProjectionTimeoutError,
)
from runstream.log import SqliteEventLog
from runstream.registry import RegistryClient
from runstream.registry.documents import BlobReader
from runstream.registry.writer import LogWriter


def test_registered_model_create_describe_tag_and_search(
    registry: RegistryClient,
) -> None:
    model = registry.create_registered_model(
        "diabetes", tags={"team": "health"}, description="first"
    )
    assert model.name == "diabetes" and model.tags == {"team": "health"}
    registry.create_registered_model("iris", tags={"team": "vision"})

    assert registry.update_registered_model("diabetes", "better").description == (
        "better"
    )
    registry.set_registered_model_tag("diabetes", "stage", "beta")
    registry.delete_registered_model_tag("diabetes", "team")
    assert registry.get_registered_model("diabetes").tags == {"stage": "beta"}

    found = registry.search_registered_models("name LIKE 'dia%'")
    assert [m.name for m in found] == ["diabetes"]
    found = registry.search_registered_models("tags.team = 'vision'")
    assert [m.name for m in found] == ["iris"]
    assert [m.name for m in registry.search_registered_models()] == [
        "diabetes",
        "iris",
    ]
    assert registry.search_registered_models("name ILIKE 'IRIS'")[0].name == "iris"


def test_create_twice_and_unknown_model_say_what_to_do(
    registry: RegistryClient,
) -> None:
    registry.create_registered_model("m")
    with pytest.raises(AlreadyExistsError, match="exists already"):
        registry.create_registered_model("m")
    with pytest.raises(NotFoundError, match="does not exist"):
        registry.get_registered_model("nope")
    with pytest.raises(InvalidInputError, match="may not contain '/'"):
        registry.create_registered_model("a/b")


def test_versions_number_up_and_keep_the_run_as_lineage(
    registry: RegistryClient,
) -> None:
    registry.create_registered_model("m")
    v1 = registry.create_model_version("m", "runs:/run-a/model", run_id="run-a")
    v2 = registry.create_model_version(
        "m", "runs:/run-b/model", run_id="run-b", tags={"k": "v"}, description="d"
    )
    assert (v1.version, v2.version) == (1, 2)
    assert v2.run_id == "run-b" and v2.source == "runs:/run-b/model"
    assert v2.tags == {"k": "v"} and v2.current_stage == "None"

    registry.update_model_version("m", 1, "the first")
    registry.set_model_version_tag("m", 1, "validated", "yes")
    v1 = registry.get_model_version("m", "1")
    assert v1.description == "the first" and v1.tags == {"validated": "yes"}
    registry.delete_model_version_tag("m", 1, "validated")

    registry.delete_model_version("m", 1)
    with pytest.raises(NotFoundError, match="no version 1; its versions are \\[2\\]"):
        registry.get_model_version("m", 1)
    # Numbers are never reused.
    assert registry.create_model_version("m", "runs:/c/model").version == 3
    found = registry.search_model_versions("run_id = 'run-b'")
    assert [(v.name, v.version) for v in found] == [("m", 2)]


def test_stages_with_archive_existing_versions_keep_every_move_in_history(
    registry: RegistryClient,
) -> None:
    registry.create_registered_model("m")
    for run in ("a", "b", "c"):
        registry.create_model_version("m", f"runs:/{run}/model", run_id=run)

    registry.transition_model_version_stage("m", 1, "production")
    registry.transition_model_version_stage("m", 2, "Staging")
    moved = registry.transition_model_version_stage(
        "m", 2, "Production", archive_existing_versions=True
    )
    assert moved.current_stage == "Production"
    assert registry.get_model_version("m", 1).current_stage == "Archived"
    latest = registry.get_latest_versions("m", ["Production", "None"])
    assert [(v.version, v.current_stage) for v in latest] == [
        (2, "Production"),
        (3, "None"),
    ]

    history = registry.get_model_history("m", ["stage"])
    assert [(h.version, h.from_, h.to) for h in history] == [
        (1, "None", "Production"),
        (2, "None", "Staging"),
        (2, "Staging", "Production"),
        (1, "Production", "Archived"),
    ]
    assert history[-1].cause is not None and "version 2" in history[-1].cause
    assert all(h.user == "ana" and h.at > 0 for h in history)

    with pytest.raises(InvalidInputError, match="not one of"):
        registry.transition_model_version_stage("m", 1, "Shipping")
    with pytest.raises(InvalidInputError, match="Staging or Production"):
        registry.transition_model_version_stage(
            "m", 1, "Archived", archive_existing_versions=True
        )


def test_aliases_set_move_resolve_delete_and_go_with_their_version(
    registry: RegistryClient,
) -> None:
    registry.create_registered_model("m")
    for run in ("a", "b"):
        registry.create_model_version("m", f"runs:/{run}/model", run_id=run)

    registry.set_registered_model_alias("m", "champion", 1)
    registry.set_registered_model_alias("m", "champion", 2)
    registry.set_registered_model_alias("m", "shadow", 1)
    assert registry.get_model_version_by_alias("m", "champion").version == 2
    assert registry.get_model_version("m", 2).aliases == ["champion"]

    registry.delete_registered_model_alias("m", "champion")
    with pytest.raises(NotFoundError, match="no alias 'champion'"):
        registry.get_model_version_by_alias("m", "champion")
    registry.delete_model_version("m", 1)  # takes "shadow" with it
    assert registry.get_registered_model("m").aliases == {}

    history = registry.get_model_history("m", ["alias"])
    assert [(h.alias, h.from_, h.to, h.cause) for h in history] == [
        ("champion", None, 1, None),
        ("champion", 1, 2, None),
        ("shadow", None, 1, None),
        ("champion", 2, None, None),
        ("shadow", 1, None, "version 1 deleted"),
    ]
    with pytest.raises(InvalidInputError, match="reserved"):
        registry.set_registered_model_alias("m", "latest", 2)


def test_rename_moves_the_document_and_keeps_the_history(
    registry: RegistryClient,
) -> None:
    registry.create_registered_model("old")
    registry.create_model_version("old", "runs:/a/model", run_id="a")
    registry.transition_model_version_stage("old", 1, "Production")

    renamed = registry.rename_registered_model("old", "new")
    assert renamed.name == "new" and renamed.previous_names == ["old"]
    assert registry.get_model_version("new", 1).current_stage == "Production"
    with pytest.raises(NotFoundError, match="renamed to 'new'"):
        registry.get_registered_model("old")

    # Later events stay in the model's partition (keyed by its first name), and
    # the freed name can hold a new model.
    registry.set_registered_model_alias("new", "champion", 1)
    registry.create_registered_model("old")
    assert registry.get_registered_model("old").latest_versions == []
    kinds = [(h.kind, h.from_, h.to) for h in registry.get_model_history("new", ())]
    assert kinds == [
        ("model_created", None, None),
        ("version_created", None, None),
        ("stage", "None", "Production"),
        ("model_renamed", "old", "new"),
        ("alias", None, 1),
    ]
    with pytest.raises(AlreadyExistsError):
        registry.rename_registered_model("new", "old")


def test_delete_model_then_create_the_name_afresh(registry: RegistryClient) -> None:
    registry.create_registered_model("m")
    registry.create_model_version("m", "runs:/a/model")
    registry.delete_registered_model("m")
    with pytest.raises(NotFoundError):
        registry.get_registered_model("m")
    assert registry.search_registered_models() == []
    registry.create_registered_model("m")
    assert registry.create_model_version("m", "runs:/b/model").version == 1


def test_a_write_refused_by_the_projection_raises_its_reason(
    registry: RegistryClient,
) -> None:
    registry.create_registered_model("m")
    # Another writer deleted the model after this client checked it: the
    # projection refuses the event and the client reports why.
    payload = {"registered_name": "m", "name": "m", "user": "bob"}
    [position] = registry.writer.append([("RegisteredModelDeleted", payload)])
    registry._wait("m", position, "RegisteredModelDeleted")
    version_payload = {**payload, "version": 1, "alias": "x"}
    [position] = registry.writer.append([("AliasSet", version_payload)])
    with pytest.raises(NotFoundError, match="does not exist"):
        registry._wait("m", position, "AliasSet")


def test_no_running_projection_times_out_with_a_hint(
    log_path: Path, tmp_path: Path
) -> None:
    writer = LogWriter(lambda: SqliteEventLog(log_path))
    reader = BlobReader(LocalBlobStore(tmp_path / "nowhere"))
    client = RegistryClient(writer, reader, wait_s=0.3)
    with pytest.raises(ProjectionTimeoutError, match="runstream server"):
        client.create_registered_model("m")
