"""Small helpers shared by the benchmark's parts."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    """The median of ``repeats`` measurements: the machine is shared and noisy."""
    return statistics.median(measure() for _ in range(repeats))


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds until ``check()`` holds; raise if it never does."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if check():
            return time.perf_counter() - started
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not happen within {timeout_s} s")
