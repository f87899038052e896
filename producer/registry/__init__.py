"""The Model Registry: registered models, versions, stages, aliases and history.

Every change is an event on ``runstream.registry``; the registry projection keeps
one document per model, which ``RegistryClient`` reads back.

    import runstream
    version = runstream.register_model(f"runs:/{run_id}/model", "diabetes")
    client = runstream.registry.get_registry_client()
    client.transition_model_version_stage("diabetes", version.version, "Production")
"""

from runstream.registry.client import RegistryClient
from runstream.registry.entities import HistoryEntry, ModelVersion, RegisteredModel
from runstream.registry.fluent import get_registry_client, register_model

__all__ = [
    "HistoryEntry",
    "ModelVersion",
    "RegisteredModel",
    "RegistryClient",
    "get_registry_client",
    "register_model",
]
