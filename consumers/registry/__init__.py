"""The registry projection: one document per registered model in the blob store."""

from runstream.consumers.registry.projector import RegistryProjector
from runstream.consumers.registry.state_blobs import registry_blobs

__all__ = ["RegistryProjector", "registry_blobs"]
