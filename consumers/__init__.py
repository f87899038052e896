"""Consumers: read the event log and project it into ClickHouse and the blob store."""

from runstream.consumers.projector import Projector
from runstream.consumers.runner import ProjectionRunner

__all__ = ["ProjectionRunner", "Projector"]
