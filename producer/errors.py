"""The exceptions runstream raises.

    RunstreamError                 root; catch this to catch everything below
    ├── InvalidInputError          a key, value or argument breaks a rule
    │   └── FilterSyntaxError      a search filter or order_by does not parse
    ├── NotFoundError              no experiment, run or artifact by that id or name
    ├── ConflictError              clashes with work in progress (a running replay)
    │   └── AlreadyExistsError     a registered model (or alias) by that name exists
    ├── ProjectionTimeoutError     a write is on the log, but not projected in time
    ├── RunNotActiveError          logging to a run that has ended, or with no run
    ├── ProjectSetupError          a project's source or environment could not be made
    ├── AuthError                  the API refused the token, or its role is too low
    ├── EventDecodeError           bytes on the log that are not a runstream event
    ├── EventLogError              the event log could not be read or written
    │   └── PartialAppendError     some records of an append reached the log
    └── StoreError                 the ClickHouse store or blob store failed

Every message names what was involved (run id, key, topic/partition/offset) and says
how to fix it. Library errors are translated at the boundary and chained with `from`.
"""

from __future__ import annotations

from typing import Any


class RunstreamError(Exception):
    """Root of every error raised by runstream."""


class InvalidInputError(RunstreamError, ValueError):
    """A key, value or argument breaks one of runstream's rules."""


class FilterSyntaxError(InvalidInputError):
    """A search filter or order_by clause does not parse; ``position`` is the
    0-based character where it went wrong and ``expected`` what would fit there."""

    def __init__(self, message: str, text: str, position: int, expected: str):
        super().__init__(message)
        self.text = text
        self.position = position
        self.expected = expected


class NotFoundError(RunstreamError, LookupError):
    """No experiment, run, metric or artifact by the id, name or path given."""


class ConflictError(RunstreamError):
    """The request clashes with work in progress, such as a replay running."""


class AlreadyExistsError(ConflictError):
    """Something by that name exists already, such as a registered model."""


class ProjectionTimeoutError(RunstreamError):
    """A write reached the log, but the projection did not apply it in time, so
    it cannot be read back yet (is ``runstream server`` running?)."""


class RunNotActiveError(RunstreamError):
    """An operation needs an active run and there is none, or it has ended."""


class EventDecodeError(RunstreamError):
    """Bytes on the log could not be decoded as a runstream event."""


class EventLogError(RunstreamError):
    """The event log could not be read or written."""


class PartialAppendError(EventLogError):
    """An append failed after some of its records reached the log.

    ``appended`` holds, per record in the order given, its position or ``None``;
    appending only the ``None`` ones again keeps the log free of duplicates.
    """

    def __init__(self, message: str, appended: list[Any]) -> None:
        super().__init__(message)
        self.appended = appended


class StoreError(RunstreamError):
    """A projection store (ClickHouse or the blob store) failed."""


class ProjectSetupError(RunstreamError):
    """A project's source could not be fetched or its environment built (git, venv,
    pip or conda failed); raised before the project's run is created."""


class AuthError(RunstreamError):
    """The query API refused the request: no token or an unknown one (HTTP 401),
    or a token whose role is too low for the call (HTTP 403). Set RUNSTREAM_TOKEN
    to a token the server's RUNSTREAM_AUTH_TOKENS(_FILE) knows."""
