"""Experiment and run lifecycle events, written straight to the log."""

from pathlib import Path

from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService
from runstream.events import Event, encode
from runstream.log import Record


def append(service: ProjectionService, *events: Event) -> None:
    service.log.append([Record(e.topic, e.key, encode(e)) for e in events])


def test_experiment_rename_delete_restore_and_tags(
    service: ProjectionService, store: ClickHouseStore, log_path: Path
) -> None:
    eid = {"experiment_id": "42"}
    append(
        service,
        Event("ExperimentCreated", {**eid, "name": "a", "artifact_location": ""}),
        Event("ExperimentRenamed", {**eid, "name": "b"}),
        Event("ExperimentDeleted", eid),
        Event("ExperimentTagSet", {**eid, "key": "team", "value": "x"}),
        Event("ExperimentTagSet", {**eid, "key": "gone", "value": "y"}),
        Event("ExperimentTagDeleted", {**eid, "key": "gone"}),
    )
    service.catch_up()
    (row,) = store.query(f"SELECT * FROM {store.table('experiments')} FINAL")
    assert (row["name"], row["lifecycle_stage"]) == ("b", "deleted")

    append(service, Event("ExperimentRestored", eid))
    service.catch_up()
    (row,) = store.query(f"SELECT * FROM {store.table('experiments')} FINAL")
    assert row["lifecycle_stage"] == "active"
    tags = store.query(
        f"SELECT key, value FROM {store.table('experiment_tags')} FINAL "
        "WHERE deleted = 0"
    )
    assert tags == [{"key": "team", "value": "x"}]


def test_run_delete_restore_inputs_and_model(
    service: ProjectionService, store: ClickHouseStore, log_path: Path
) -> None:
    rid = {"run_id": "r1"}
    started = {
        **rid,
        "experiment_id": "0",
        "run_name": "n",
        "user": "u",
        "start_time": 1,
        "parent_run_id": None,
    }
    dataset = {
        "name": "diabetes",
        "digest": "abc",
        "source_type": "code",
        "source": "sklearn",
        "schema": "",
        "profile": "",
        "context": "training",
    }
    model = {
        **rid,
        "artifact_path": "model",
        "model_uuid": "m1",
        "flavors": ["python_function", "sklearn"],
        "utc_time_created": "2026-12-03 00:00:00",
        "mlmodel": "flavors: {}",
    }
    append(
        service,
        Event("RunStarted", started),
        Event("RunDeleted", rid),
        Event("InputsLogged", {**rid, "datasets": [dataset, dataset]}),
        Event("ModelLogged", model),
    )
    service.catch_up()
    (run,) = store.query(f"SELECT * FROM {store.table('runs')} FINAL")
    assert run["lifecycle_stage"] == "deleted"
    inputs = store.query(f"SELECT name FROM {store.table('inputs')} FINAL")
    assert inputs == [{"name": "diabetes"}]
    models = store.query(f"SELECT flavors FROM {store.table('logged_models')} FINAL")
    assert models == [{"flavors": ["python_function", "sklearn"]}]

    append(service, Event("RunRestored", rid))
    service.catch_up()
    (run,) = store.query(f"SELECT * FROM {store.table('runs')} FINAL")
    assert run["lifecycle_stage"] == "active"
