"""Replays that ``runstream server`` runs for ``POST /api/v1/replays``.

In the embedded mode only the server's process may open chDB, so a replay asked
for while the server runs happens inside it, in a background thread, one at a time;
the CLI follows its progress over HTTP.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from runstream.consumers.replay import Replay
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import StateCatalog
from runstream.errors import ConflictError, NotFoundError

logger = logging.getLogger(__name__)

# Finished replays kept for GET /api/v1/replays/{id}; older ones are forgotten.
_KEEP = 20


class ReplayJobs:
    def __init__(self, service: ProjectionService, catalog: StateCatalog) -> None:
        self.service = service
        self.catalog = catalog
        self._replays: dict[str, Replay] = {}
        self._lock = threading.Lock()

    def start(
        self, into: str | None, until: str | None, replace: bool = False
    ) -> Replay:
        """Check the arguments, then replay in a background thread."""
        with self._lock:
            for other in self._replays.values():
                if other.progress.running:
                    raise ConflictError(
                        f"replay {other.progress.replay_id} is still running; follow "
                        f"it at GET /api/v1/replays/{other.progress.replay_id} and "
                        "start another once it is done"
                    )
            replay = Replay(
                self.service, self.catalog, into=into, until=until, replace=replace
            )
            self._replays[replay.progress.replay_id] = replay
            for old in list(self._replays)[:-_KEEP]:
                del self._replays[old]
        thread = threading.Thread(
            target=self._run,
            args=(replay,),
            name=f"runstream-replay-{replay.progress.replay_id}",
            daemon=True,
        )
        thread.start()
        return replay

    # TODO: cancelling a running replay; today it runs to its end or failure.

    def get(self, replay_id: str) -> Replay:
        with self._lock:
            replay = self._replays.get(replay_id)
        if replay is None:
            raise NotFoundError(
                f"no replay {replay_id!r} in this server; start one with "
                "POST /api/v1/replays (a server keeps the last replays until restart)"
            )
        return replay

    def list(self) -> list[Replay]:
        with self._lock:
            return list(self._replays.values())

    @staticmethod
    def _run(replay: Replay) -> None:
        # A failure is logged and kept in the replay's progress, where the client
        # that started it looks; there is nobody else to raise it to.
        with contextlib.suppress(Exception):
            replay.run()
