"""``RegistryView``: reading the registry, without writing to it.

The query API serves these reads from the blob store inside ``runstream server``;
``RegistryClient`` adds the writes on top of the same reads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from runstream.errors import NotFoundError
from runstream.registry import names
from runstream.registry.documents import Document, RegistryReader
from runstream.registry.entities import (
    HistoryEntry,
    ModelVersion,
    RegisteredModel,
    history_from,
    is_active,
    model_from,
    require_active,
    version_from,
    versions_of,
)
from runstream.registry.search import parse_filter
from runstream.registry.uris import parse_models_uri

logger = logging.getLogger(__name__)

HISTORY_KINDS = ("stage", "alias")


class RegistryView:
    """Registered models, versions, aliases and history, as the projection has
    them."""

    def __init__(self, reader: RegistryReader) -> None:
        self.reader = reader

    def get_registered_model(self, name: str) -> RegisteredModel:
        return model_from(self._doc(name))

    # TODO: search reads every document; thousands of models want an index (a
    # ClickHouse table beside the documents) instead.
    def search_registered_models(
        self, filter_string: str | None = None, max_results: int = 1000
    ) -> list[RegisteredModel]:
        """Models matching ``filter_string`` (see ``registry.search``), by name."""
        matches = parse_filter(filter_string, ("name",))
        docs = [d for d in self.reader.documents() if is_active(d) and matches(d)]
        docs.sort(key=lambda d: d["name"])
        return [model_from(d) for d in docs[:max_results]]

    def get_model_versions(self, name: str) -> list[ModelVersion]:
        """Every version of the model, oldest first."""
        return versions_of(self._doc(name))

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        doc = self._doc(name)
        return version_from(doc, self._raw_version(doc, version))

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The newest version in each stage (each of ``stages`` if given)."""
        doc = self._doc(name)
        wanted = {names.check_stage(s) for s in stages} if stages else None
        latest: dict[str, ModelVersion] = {}
        for version in versions_of(doc):
            if wanted is None or version.current_stage in wanted:
                latest[version.current_stage] = version
        return sorted(latest.values(), key=lambda v: v.version)

    def search_model_versions(
        self, filter_string: str | None = None, max_results: int = 10_000
    ) -> list[ModelVersion]:
        """Versions matching ``filter_string`` (name, run_id, source, tags.<key>),
        newest first."""
        matches = parse_filter(filter_string, ("name", "run_id", "source"))
        found = []
        for doc in self.reader.documents():
            if not is_active(doc):
                continue
            for version in versions_of(doc):
                fields = {
                    "name": version.name,
                    "run_id": version.run_id,
                    "source": version.source,
                    "tags": version.tags,
                }
                if matches(fields):
                    found.append(version)
        found.sort(key=lambda v: (v.creation_timestamp, v.version), reverse=True)
        return found[:max_results]

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        doc = self._doc(name)
        number = doc["aliases"].get(alias)
        if number is None:
            raise NotFoundError(
                f"registered model {name!r} has no alias {alias!r}; it has "
                f"{sorted(doc['aliases']) or 'none'}"
            )
        return version_from(doc, self._raw_version(doc, number))

    def get_model_version_by_uri(self, uri: str) -> ModelVersion:
        """The version a ``models:/`` URI names (see ``registry.uris``)."""
        name, selector, alias = parse_models_uri(uri)
        if alias is not None:
            return self.get_model_version_by_alias(name, alias)
        assert selector is not None
        if selector.isdigit():
            return self.get_model_version(name, selector)
        versions = versions_of(self._doc(name))
        latest = selector.lower() == "latest"
        if not latest:
            stage = names.check_stage(selector)
            versions = [v for v in versions if v.current_stage == stage]
        if not versions:
            where = "at all" if latest else f"in stage {selector}"
            raise NotFoundError(
                f"{uri} names no version: registered model {name!r} has no "
                f"version {where}"
            )
        return versions[-1]

    def get_model_history(
        self, name: str, kinds: Sequence[str] = HISTORY_KINDS
    ) -> list[HistoryEntry]:
        """Every stage and alias change of the model (or of ``kinds``; pass ``()``
        for all changes), oldest first, with who made it and when."""
        return history_from(self._doc(name), tuple(kinds))

    def _doc(self, name: str) -> Document:
        names.check_name(name)
        return require_active(self.reader.document(name), name)

    @staticmethod
    def _raw_version(doc: Document, version: int | str) -> dict[str, Any]:
        number = names.check_version(version)
        raw = doc["versions"].get(str(number))
        if raw is None:
            known = sorted(int(v) for v in doc["versions"])
            raise NotFoundError(
                f"registered model {doc['name']!r} has no version {number}; its "
                f"versions are {known or 'none yet'}"
            )
        return raw  # type: ignore[no-any-return]
