"""The registry projection: one document per registered model in the blob store."""

from runstream.consumers.registry.projector import RegistryProjector

__all__ = ["RegistryProjector"]
