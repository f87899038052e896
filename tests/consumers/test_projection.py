"""The projection through the real SDK, the SQLite log and ClickHouse."""

import math
from pathlib import Path

import runstream
from runstream.consumers.clickhouse import ClickHouseStore
from runstream.consumers.service import ProjectionService
from runstream.events import DEAD_LETTER_TOPIC, TRACKING_TOPIC
from runstream.log import Record


def rows(store: ClickHouseStore, sql: str, **params: object) -> list[dict]:
    return store.query(sql.replace("{db}", store.database), params)


def test_run_is_projected_with_params_tags_metrics_and_status(
    service: ProjectionService, store: ClickHouseStore
) -> None:
    runstream.set_experiment("projection")
    with runstream.start_run(run_name="p1") as run:
        runstream.log_params({"alpha": 0.5, "layers": 3})
        runstream.set_tag("team", "vision")
        for step in range(100):
            runstream.log_metric("loss", 1 / (step + 1), step=step)
        runstream.log_metric("odd", float("nan"))
    service.catch_up()
    rid = run.info.run_id

    (r,) = rows(store, "SELECT * FROM {db}.runs FINAL WHERE run_id = {r:String}", r=rid)
    assert r["status"] == "FINISHED" and r["run_name"] == "p1"
    assert r["end_time"] >= r["start_time"]
    params = rows(store, "SELECT key, value FROM {db}.params FINAL ORDER BY key")
    assert params == [{"key": "alpha", "value": "0.5"}, {"key": "layers", "value": "3"}]
    (count,) = rows(store, "SELECT count() AS n FROM {db}.metrics FINAL")
    assert count["n"] == 101
    latest = {
        x["key"]: x["l"]
        for x in rows(
            store,
            "SELECT key, max(latest) AS l FROM {db}.latest_metrics GROUP BY key",
        )
    }
    assert latest["loss"] == (99, latest["loss"][1], 1 / 100)
    assert math.isnan(latest["odd"][2])
    tags = rows(store, "SELECT key, value FROM {db}.tags FINAL WHERE key = 'team'")
    assert tags == [{"key": "team", "value": "vision"}]


def test_reapplying_events_changes_nothing(
    service: ProjectionService, store: ClickHouseStore
) -> None:
    with runstream.start_run() as run:
        runstream.log_param("a", 1)
        runstream.log_metrics({"x": 1.0, "y": 2.0}, step=1)
    service.catch_up()
    before = rows(store, "SELECT count() AS n FROM {db}.metrics FINAL")

    # A new group with no applied positions gets everything delivered again.
    store.command(f"TRUNCATE TABLE {store.database}.positions")
    again = type(service.runner)(service.log, service.runner.projector, "fresh-group")
    while again.run_once(timeout_s=0.05):
        pass
    assert rows(store, "SELECT count() AS n FROM {db}.metrics FINAL") == before
    (r,) = rows(
        store,
        "SELECT status FROM {db}.runs FINAL WHERE run_id = {r:String}",
        r=run.info.run_id,
    )
    assert r["status"] == "FINISHED"
    params = rows(store, "SELECT count() AS n FROM {db}.params FINAL")
    assert params == [{"n": 1}]


def test_undecodable_record_is_dead_lettered_and_does_not_block(
    service: ProjectionService, store: ClickHouseStore, log_path: Path
) -> None:
    with runstream.start_run() as run:
        runstream.log_metric("before", 1.0)
    runstream.flush()
    service.log.append([Record(TRACKING_TOPIC, run.info.run_id, b"not avro")])
    with runstream.start_run(run_id=run.info.run_id):
        runstream.log_metric("after", 2.0)
    service.catch_up()

    keys = rows(store, "SELECT DISTINCT key FROM {db}.metrics FINAL ORDER BY key")
    assert [k["key"] for k in keys] == ["after", "before"]
    assert sum(service.log.end_offsets(DEAD_LETTER_TOPIC).values()) == 1
    health = service.health()
    assert health["dead_letters"] == 1
    assert health["total_lag"] == 0


def test_artifact_is_stored_and_indexed(
    service: ProjectionService, store: ClickHouseStore, tmp_path: Path
) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello")
    with runstream.start_run() as run:
        runstream.log_artifact(source, artifact_path="docs")
    service.catch_up()
    (a,) = rows(store, "SELECT path, size FROM {db}.artifacts FINAL")
    assert a == {"path": "docs/notes.txt", "size": 5}
    key = f"{run.info.run_id}/artifacts/docs/notes.txt"
    assert b"".join(service.blobs.open_chunks(key)) == b"hello"


def test_announcing_an_experiment_again_keeps_its_creation_time(
    service: ProjectionService, store: ClickHouseStore
) -> None:
    runstream.set_experiment("announced")
    with runstream.start_run():
        pass
    service.catch_up()
    (first,) = rows(store, "SELECT creation_time FROM {db}.experiments FINAL")

    runstream.set_tracking_uri(runstream.get_tracking_uri())  # a "new process"
    runstream.set_experiment("announced")
    with runstream.start_run():
        pass
    service.catch_up()
    assert rows(store, "SELECT creation_time FROM {db}.experiments FINAL") == [first]
