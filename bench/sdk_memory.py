"""The SDK's peak memory while the event log is unreachable: log ``n`` points to a
Kafka address where nothing listens, and report the peak resident set size.

Run as a script (``python bench/sdk_memory.py N``) so the figure is this process
alone; prints one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import tempfile
import time


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(n: int) -> None:
    spill = tempfile.mkdtemp(prefix="bench-spill-")
    os.environ["RUNSTREAM_SPILL_DIR"] = spill
    os.environ["RUNSTREAM_TRACKING_URI"] = f"kafka://127.0.0.1:{closed_port()}"
    import runstream

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    names = [f"k{j}" for j in range(100)]
    started = time.perf_counter()
    with_run = runstream.start_run()
    for step in range(n // len(names)):
        runstream.log_metrics(dict.fromkeys(names, float(step)), step=step)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    spilled = sum(
        os.path.getsize(os.path.join(root, f))
        for root, _, files in os.walk(spill)
        for f in files
    )
    print(
        json.dumps(
            {
                "peak_mb": peak_kb / 1024,
                "sdk_mb": (peak_kb - baseline_kb) / 1024,
                "points_per_s": n / elapsed,
                "spilled_mb": spilled / 2**20,
                "run_id": with_run.info.run_id,
            }
        ),
        flush=True,
    )
    # The log is down on purpose: leave without waiting for delivery.
    os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000)
