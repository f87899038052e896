"""The registry's query API routes, over documents the running consumer wrote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from runstream.api.app import create_app
from runstream.consumers.service import ProjectionService
from runstream.registry import RegistryClient

API = "/api/v1/registry"


@pytest.fixture
def api(running: ProjectionService) -> Iterator[TestClient]:
    with TestClient(create_app(running)) as client:
        yield client


@pytest.fixture
def moved(registry: RegistryClient) -> RegistryClient:
    """diabetes: v1 to Production, then v2 to Production archiving v1; champion
    alias moved from v1 to v2."""
    registry.create_registered_model("diabetes", tags={"team": "health"})
    registry.create_registered_model("iris")
    for run in ("r1", "r2"):
        registry.create_model_version("diabetes", f"runs:/{run}/model", run_id=run)
    registry.transition_model_version_stage("diabetes", 1, "Production")
    registry.set_registered_model_alias("diabetes", "champion", 1)
    registry.transition_model_version_stage(
        "diabetes", 2, "Production", archive_existing_versions=True
    )
    registry.set_registered_model_alias("diabetes", "champion", 2)
    return registry


def test_models_list_and_search(moved: RegistryClient, api: TestClient) -> None:
    names = [m["name"] for m in api.get(f"{API}/models").json()["registered_models"]]
    assert names == ["diabetes", "iris"]
    found = api.get(f"{API}/models", params={"filter": "tags.team = 'health'"})
    assert [m["name"] for m in found.json()["registered_models"]] == ["diabetes"]
    bad = api.get(f"{API}/models", params={"filter": "colour = 'red'"})
    assert bad.status_code == 400 and "cannot filter on 'colour'" in bad.text


def test_model_page_data_versions_and_aliases(
    moved: RegistryClient, api: TestClient
) -> None:
    model = api.get(f"{API}/models/diabetes").json()
    assert model["aliases"] == {"champion": 2}
    stages = [
        (v["version"], v["current_stage"], v["run_id"]) for v in model["versions"]
    ]
    assert stages == [(1, "Archived", "r1"), (2, "Production", "r2")]
    assert api.get(f"{API}/models/diabetes/versions/2").json()["aliases"] == [
        "champion"
    ]
    assert api.get(f"{API}/models/diabetes/aliases/champion").json()["version"] == 2
    missing = api.get(f"{API}/models/diabetes/aliases/shadow")
    assert missing.status_code == 404 and "no alias 'shadow'" in missing.text
    assert api.get(f"{API}/models/nope").status_code == 404


def test_history_of_stage_and_alias_changes(
    moved: RegistryClient, api: TestClient
) -> None:
    history = api.get(f"{API}/models/diabetes/history").json()["history"]
    changes = [
        (h["kind"], h.get("alias"), h["version"], h["from"], h["to"]) for h in history
    ]
    assert changes == [
        ("stage", None, 1, "None", "Production"),
        ("alias", "champion", None, None, 1),
        ("stage", None, 2, "None", "Production"),
        ("stage", None, 1, "Production", "Archived"),
        ("alias", "champion", None, 1, 2),
    ]
    assert all(h["user"] == "ana" and h["at"] > 0 for h in history)
    stages_only = api.get(f"{API}/models/diabetes/history", params={"kind": "stage"})
    assert len(stages_only.json()["history"]) == 3
    everything = api.get(f"{API}/models/diabetes/history", params={"kind": "all"})
    assert everything.json()["history"][0]["kind"] == "model_created"


def test_documents_show_tombstones_and_positions(
    registry: RegistryClient, api: TestClient
) -> None:
    registry.create_registered_model("a")
    registry.rename_registered_model("a", "b")
    tombstone = api.get(f"{API}/documents/a").json()
    assert tombstone["status"] == "renamed" and tombstone["renamed_to"] == "b"
    assert api.get(f"{API}/documents/b").json()["positions"]
    assert api.get(f"{API}/documents/zzz").status_code == 404
    gone = api.get(f"{API}/models/a")
    assert gone.status_code == 404 and "renamed to 'b'" in gone.text
    versions = api.get(f"{API}/versions", params={"filter": "name = 'b'"})
    assert versions.json() == {"model_versions": []}
