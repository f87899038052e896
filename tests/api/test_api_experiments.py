from fastapi.testclient import TestClient

import runstream
from runstream.consumers.service import ProjectionService


def test_experiments_sorted_by_name(
    client: TestClient, service: ProjectionService
) -> None:
    ids = {}
    for name in ("zeta", "alpha", "mu"):
        ids[name] = runstream.set_experiment(name).experiment_id
        with runstream.start_run():
            pass
    service.catch_up()

    experiments = client.get("/api/v1/experiments").json()["experiments"]

    assert [e["name"] for e in experiments] == ["alpha", "mu", "zeta"]
    alpha = experiments[0]
    assert set(alpha) == {
        "experiment_id",
        "name",
        "artifact_location",
        "lifecycle_stage",
        "creation_time",
        "last_update_time",
    }
    assert alpha["experiment_id"] == ids["alpha"]
    assert alpha["lifecycle_stage"] == "active"
    assert alpha["creation_time"] > 0


def test_no_experiments_is_an_empty_list(client: TestClient) -> None:
    assert client.get("/api/v1/experiments").json() == {"experiments": []}
