"""What the hostile-input tests seed: a few runs for fuzzed lookups to find."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient

import runstream
from runstream.consumers.service import ProjectionService


@dataclass(frozen=True)
class Seeded:
    """What the seeded service holds, for tests that aim at real rows."""

    app: FastAPI
    client: TestClient
    service: ProjectionService
    run_ids: tuple[str, ...]
    experiment_ids: tuple[str, ...]
    experiment_names: tuple[str, ...]
    metric_keys: tuple[str, ...]
    model_names: tuple[str, ...]


def seed_runs() -> tuple[list[str], list[str]]:
    run_ids = []
    experiment_ids = []
    for name in ("hostile-a", "hostile-b"):
        experiment = runstream.set_experiment(name)
        experiment_ids.append(experiment.experiment_id)
        with runstream.start_run(run_name=f"{name}-run") as run:
            runstream.log_params({"lr": 0.01, "optimizer": "adam"})
            runstream.set_tag("team", "vision")
            for step in range(5):
                runstream.log_metric("loss", 1.0 / (step + 1), step=step)
                runstream.log_metric("rank0/acc", step / 5, step=step)
            runstream.log_text("hello", "notes/readme.txt")
        run_ids.append(run.info.run_id)
    return run_ids, experiment_ids
