"""Keeping a long-running server's memory flat under glibc's malloc.

glibc gives each thread that allocates its own malloc arena, up to eight per
core. The API serves requests from a pool of up to 40 worker threads, and freed
memory stays behind, fragmented, in each of their arenas: in a 10-minute soak
(bench/soak.py) the Python heap (tracemalloc) and ClickHouse's own tracked memory
stayed flat while the server's resident set kept creeping up by ~4 MB/min. With
two arenas it levelled off after four minutes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

logger = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h
SERVER_ARENAS = 2


def limit_malloc_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Cap glibc's arenas for the threads this process starts from now on; call it
    before starting any. True if applied. ``MALLOC_ARENA_MAX``, when set, wins."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False  # not glibc: its allocator has no arenas to cap
    applied = bool(mallopt(M_ARENA_MAX, arenas))
    logger.debug("malloc arenas capped arenas=%d applied=%s", arenas, applied)
    return applied
