"""A projection consumer that kills itself with SIGKILL in the middle of a batch:
right after its Nth insert, with the batch's other tables and its commit not yet
written. Settings come from RUNSTREAM_* as for ``runstream consume``.

Usage: dying_consumer.py N
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from runstream.consumers.service import ProjectionService
from runstream.settings import load_settings


def main(kill_after: int) -> None:
    service = ProjectionService.open(load_settings())
    store = service.store
    write = store.insert
    inserts = 0

    def insert_then_maybe_die(table: str, columns: Mapping[str, Sequence[Any]]) -> None:
        nonlocal inserts
        write(table, columns)
        inserts += 1
        if inserts == kill_after:
            print(f"killing myself after insert {inserts} into {table}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    store.insert = insert_then_maybe_die  # type: ignore[method-assign]
    service.runner.run_forever(threading.Event())


if __name__ == "__main__":
    main(int(sys.argv[1]))
