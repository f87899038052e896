"""A training loop that logs points, a param and an artifact every step, so a test
can take a store down under it and count afterwards. Settings come from
RUNSTREAM_*; artifact bytes come from ``artifact_bytes`` so the test can check
them.

Usage: log_through_outage.py STEPS POINTS_PER_STEP PAUSE_S LARGE_EVERY WORKDIR

Every LARGE_EVERY-th step's artifact is larger than what travels inside an event,
so the SDK uploads it to the blob store itself; the others travel inline and the
consumer writes them.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import runstream
from runstream.artifacts import INLINE_ARTIFACT_LIMIT


def artifact_bytes(step: int, large: bool) -> bytes:
    seed = hashlib.sha256(f"step-{step}".encode()).digest()
    size = INLINE_ARTIFACT_LIMIT + 4096 if large else 3000 + step
    return (seed * (size // len(seed) + 1))[:size]


def artifact_path(step: int) -> str:
    return f"steps/step-{step:04d}.bin"


def main(steps: int, per_step: int, pause_s: float, large_every: int, work: Path):
    with runstream.start_run(run_name="store-outage") as run:
        print(f"RUN {run.info.run_id}", flush=True)
        for step in range(steps):
            for i in range(per_step):
                point = step * per_step + i
                runstream.log_metric("loss", step + i / per_step, step=point)
            runstream.log_param(f"p{step:04d}", step)
            large = large_every > 0 and step % large_every == large_every - 1
            source = work / artifact_path(step)
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(artifact_bytes(step, large))
            runstream.log_artifact(str(source), artifact_path="steps")
            print(f"STEP {step}", flush=True)
            time.sleep(pause_s)
    print("DONE", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]),
         Path(sys.argv[5]))  # fmt: skip
