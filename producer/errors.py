"""The exceptions runstream raises.

    RunstreamError                 root; catch this to catch everything below
    ├── InvalidInputError          a key, value or argument breaks a rule
    ├── RunNotActiveError          logging to a run that has ended, or with no run
    ├── EventDecodeError           bytes on the log that are not a runstream event
    ├── EventLogError              the event log could not be read or written
    └── StoreError                 the ClickHouse store or blob store failed

Every message names what was involved (run id, key, topic/partition/offset) and says
how to fix it. Library errors are translated at the boundary and chained with `from`.
"""

from __future__ import annotations


class RunstreamError(Exception):
    """Root of every error raised by runstream."""


class InvalidInputError(RunstreamError, ValueError):
    """A key, value or argument breaks one of runstream's rules."""


class RunNotActiveError(RunstreamError):
    """An operation needs an active run and there is none, or it has ended."""


class EventDecodeError(RunstreamError):
    """Bytes on the log could not be decoded as a runstream event."""


class EventLogError(RunstreamError):
    """The event log could not be read or written."""


class StoreError(RunstreamError):
    """A projection store (ClickHouse or the blob store) failed."""
