"""The dashboard's registry pages, driven headless against a live API."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from runstream.registry import RegistryClient

APP_PATH = str(Path(__file__).parents[2] / "dashboard" / "app.py")


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(APP_PATH, default_timeout=60)
    at.query_params.update(query)
    return at.run()


@pytest.fixture
def promoted(registry: RegistryClient, api_url: str) -> None:
    registry.create_registered_model("diabetes", description="Predicts progression")
    registry.create_model_version("diabetes", "runs:/r1/model", run_id="r1")
    registry.create_model_version("diabetes", "runs:/r2/model", run_id="r2")
    registry.transition_model_version_stage("diabetes", 1, "Production")
    registry.transition_model_version_stage(
        "diabetes", 2, "Production", archive_existing_versions=True
    )
    registry.set_registered_model_alias("diabetes", "champion", 2)


def test_models_list_shows_stages_and_aliases(promoted: None) -> None:
    at = open_page(page="models")
    assert not at.exception
    assert at.title[0].value == "Models"
    table = at.dataframe[0].value
    row = table.iloc[0]
    assert row["Name"] == "diabetes" and row["Production"] == 2
    assert row["Aliases"] == "@champion → v2"


def test_model_page_shows_versions_lineage_and_history(promoted: None) -> None:
    at = open_page(page="models", model="diabetes")
    assert not at.exception
    assert at.title[0].value == "diabetes"
    versions = at.dataframe[0].value
    assert versions["Stage"].tolist() == ["Production", "Archived"]
    assert versions["Source run"].tolist() == ["r2", "r1"]
    history = at.dataframe[1].value
    assert history["What"].tolist() == [
        "alias @champion",
        "version 1 stage",
        "version 2 stage",
        "version 1 stage",
    ]
    assert history.iloc[1][["From", "To"]].tolist() == ["Production", "Archived"]
    assert "archive_existing_versions" in history.iloc[1]["Why"]
    assert set(history["Who"]) == {"ana"}

    run_button = next(b for b in at.button if b.label == "Run of version 2")
    at = run_button.click().run()
    assert at.query_params["run"] == "r2"


def test_unknown_model_says_so(api_url: str) -> None:
    at = open_page(page="models", model="nope")
    assert not at.exception
    assert "does not exist" in at.warning[0].value
