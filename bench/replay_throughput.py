"""Replay throughput: how fast ``runstream replay`` rebuilds the projections.

    .venv/bin/python bench/replay_throughput.py [--events 1000000]
        [--points-per-event 1] [--batch-points 20000] [--batch-events 250]
        [--home DIR]

Writes a synthetic log straight onto a fresh embedded log (no SDK, so writing is
not what is measured), then runs the same full replay as ``runstream replay`` (build
in a fresh database, swap in) in this process and prints events/s and points/s
for two shapes of history:

- many small events: ``--events`` events, mostly MetricsLogged with
  ``--points-per-event`` points, as a short-interval logger produces;
- few large events: ``--batch-events`` MetricsLogged events of ``--batch-points``
  points, as the SDK's columnar batches carry a fast training loop.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from runstream.consumers.replay import Replay
from runstream.consumers.service import ProjectionService
from runstream.consumers.states import StateCatalog
from runstream.events import TRACKING_TOPIC, Event, encode
from runstream.log import Record, SqliteEventLog
from runstream.settings import load_settings

RUNS = 100
APPEND_BATCH = 5_000


def events_of_run(
    experiment_id: str, run_id: str, metric_events: int, points: int, step0: int
) -> Iterator[Event]:
    """One run's history: started, params, tags, metric batches, finished."""
    now = int(time.time() * 1000)
    yield Event(
        "RunStarted",
        {"run_id": run_id, "experiment_id": experiment_id, "run_name": run_id[:8],
         "user": "bench", "start_time": now, "parent_run_id": None},
    )  # fmt: skip
    yield Event(
        "ParamsLogged",
        {"run_id": run_id, "keys": ["lr", "layers"], "values": ["0.01", "4"]},
    )
    yield Event("TagsSet", {"run_id": run_id, "keys": ["team"], "values": ["bench"]})
    names = ["loss", "accuracy", "rank0/loss", "rank1/loss"]
    for index in range(metric_events):
        first = step0 + index * points
        yield Event(
            "MetricsLogged",
            {
                "run_id": run_id,
                "names": names,
                "name_index": [i % len(names) for i in range(points)],
                "values": [1.0 / (first + i + 1) for i in range(points)],
                "steps": [(first + i) // len(names) for i in range(points)],
                "timestamps": [now + (first + i) // 10 for i in range(points)],
                "rank": 0,
            },
        )
    yield Event("RunStatusChanged", {"run_id": run_id, "status": "FINISHED",
                                     "end_time": now})  # fmt: skip


def write_log(path: Path, total_events: int, points: int) -> tuple[int, int]:
    """A log of about ``total_events`` events over RUNS runs; returns the events
    and points written."""
    log = SqliteEventLog(path)
    experiment_id = uuid.uuid4().hex[:12]
    pending: list[Record] = [
        Record(
            TRACKING_TOPIC,
            experiment_id,
            encode(Event("ExperimentCreated", {"experiment_id": experiment_id,
                                               "name": "bench",
                                               "artifact_location": ""})),
        )
    ]  # fmt: skip
    metric_events = max(1, (total_events - 1) // RUNS - 4)
    written = points_written = 0
    for _ in range(RUNS):
        run_id = uuid.uuid4().hex
        for event in events_of_run(experiment_id, run_id, metric_events, points, 0):
            pending.append(Record(TRACKING_TOPIC, run_id, encode(event)))
            if event.event_type == "MetricsLogged":
                points_written += points
            if len(pending) >= APPEND_BATCH:
                written += len(log.append(pending))
                pending = []
    written += len(log.append(pending))
    log.close()
    return written, points_written


def replay(home: Path) -> dict[str, float]:
    settings = load_settings(home=home)
    service = ProjectionService.open(settings)
    try:
        catalog = StateCatalog(service.store, service.blobs)
        report = Replay(service, catalog).run().to_dict()
    finally:
        service.store.close()
    return report


def measure(label: str, home: Path, events: int, points: int) -> None:
    started = time.monotonic()
    written, points_written = write_log(home / "log.sqlite", events, points)
    print(
        f"[{label}] wrote {written:,} events, {points_written:,} points in "
        f"{time.monotonic() - started:.1f}s"
    )
    report = replay(home)
    print(
        f"[{label}] replay: {report['events_applied']:,} events, "
        f"{report['points_applied']:,} points in {report['elapsed_s']:.1f}s -> "
        f"{report['events_per_s']:,} events/s, {report['points_per_s']:,} points/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--points-per-event", type=int, default=1)
    parser.add_argument("--batch-events", type=int, default=250)
    parser.add_argument("--batch-points", type=int, default=20_000)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    root = args.home or Path(tempfile.mkdtemp(prefix="runstream-bench-"))
    measure("small events", root / "small", args.events, args.points_per_event)
    # chDB allows one data folder per process, so the second shape runs in a fresh
    # folder only after the first store was closed.
    measure(
        "large batches",
        root / "large",
        args.batch_events + RUNS * 5,
        args.batch_points,
    )
    print(f"data left in {root}")


if __name__ == "__main__":
    main()
