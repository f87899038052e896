"""A training loop that logs steadily and reports how long each step took, so a
test can stop the broker under it. Settings come from RUNSTREAM_*.

Usage: train_through_outage.py STEPS POINTS_PER_STEP PAUSE_S
"""

from __future__ import annotations

import sys
import time

import runstream


def main(steps: int, per_step: int, pause_s: float) -> None:
    slowest = 0.0
    with runstream.start_run(run_name="outage") as run:
        print(f"RUN {run.info.run_id}", flush=True)
        for step in range(steps):
            started = time.perf_counter()
            for i in range(per_step):
                runstream.log_metric(
                    "loss", step + i / per_step, step=step * per_step + i
                )
            slowest = max(slowest, time.perf_counter() - started)
            print(f"STEP {step}", flush=True)
            time.sleep(pause_s)
    print(f"SLOWEST {slowest:.3f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
