"""The query API: read-only HTTP access to the projections (FastAPI).

It reads ClickHouse tables and the blob store that the consumers keep, and never
writes; ``create_app`` builds it around a running projection service.
"""

from runstream.api.app import create_app

__all__ = ["create_app"]
