"""The one error the projects package adds to ``runstream.errors``.

    RunstreamError
    ├── InvalidInputError      a bad MLproject, parameter, entry point or version
    └── ProjectSetupError      the source could not be fetched or its environment
                               built (git, venv, pip or conda failed)

Both are raised before the project's run is created, so a project that cannot start
leaves nothing on the event log.
"""

from __future__ import annotations

from runstream.errors import RunstreamError

# It lives here so that this package stays inside its own folder.
# TODO: move ProjectSetupError into the exception tree of runstream.errors.


class ProjectSetupError(RunstreamError):
    """A project's source could not be fetched or its environment prepared."""
