"""Running projects from Python: the run, its parameters and source tags, the
command's own SDK calls landing in it, and refusals that leave nothing behind."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from projects_support import Recorded, Repo

import runstream
from runstream.errors import InvalidInputError
from runstream.projects import run
from runstream.projects.environments import READY_MARKER
from runstream.tracking import experiment_id_for

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "diabetes_project"


def test_run_logs_params_and_tags_and_the_command_logs_into_it(
    make_project: Callable[..., Path],
    recorded: Recorded,
    capfd: pytest.CaptureFixture[str],
) -> None:
    folder = make_project()
    with runstream.start_run() as before:
        pass

    ended = run(
        folder,
        "main",
        {"label": "hello world", "extra": 7},
        experiment_name="projects-test",
    )

    assert (ended.status, ended.exit_code, ended.entry_point) == ("FINISHED", 0, "main")
    assert ended.command == "python record.py 42 'hello world' --extra 7"
    assert ended.experiment_id == experiment_id_for("projects-test")
    assert f"record.py ran in {ended.run_id}" in capfd.readouterr().out

    row = recorded.run(ended.run_id)
    assert row["status"] == "FINISHED" and row["end_time"] is not None
    assert row["experiment_id"] == experiment_id_for("projects-test")
    assert recorded.params(ended.run_id) == {
        "answer": "42",
        "label": "hello world",
        "extra": "7",
    }
    tags = recorded.tags(ended.run_id)
    assert tags["mlflow.source.name"] == str(folder.resolve())
    assert tags["mlflow.source.type"] == "PROJECT"
    assert tags["mlflow.project.entryPoint"] == "main"
    assert tags["mlflow.project.env"] == "local"
    assert tags["mlflow.user"] == getpass.getuser()
    # Set by the command itself, through RUNSTREAM_RUN_ID.
    assert tags["argv"] == "42 hello world --extra 7"
    assert tags["prefix"] == sys.prefix
    assert recorded.metrics(ended.run_id) == {"answer": [42.0]}

    # The caller's active experiment is left as it was.
    with runstream.start_run() as after:
        pass
    assert after.info.experiment_id == before.info.experiment_id


def test_failing_command_ends_the_run_failed(
    make_project: Callable[..., Path], recorded: Recorded
) -> None:
    ended = run(make_project(), "fail")

    assert (ended.status, ended.exit_code) == ("FAILED", 3)
    assert recorded.run(ended.run_id)["status"] == "FAILED"
    assert recorded.metrics(ended.run_id) == {"answer": [1.0]}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"entry_point": "train"}, "no entry point 'train'"),
        ({"parameters": {}}, "needs parameter\\(s\\) label"),
        ({"parameters": {"label": "x", "answer": "many"}}, "not a float"),
        ({"env_manager": "docker"}, "'docker' is unknown"),
        ({"version": "no-such-tag"}, "not a commit, tag or branch"),
        (
            {"experiment_name": "a", "experiment_id": "1"},
            "experiment_name or experiment_id, not both",
        ),
    ],
)
def test_refusals_come_before_anything_runs(
    repo: Repo,
    recorded: Recorded,
    capfd: pytest.CaptureFixture[str],
    arguments: dict[str, object],
    message: str,
) -> None:
    options: dict[str, object] = {"parameters": {"label": "x"}, **arguments}
    with pytest.raises(InvalidInputError, match=message):
        run(f"{repo.path}#proj", **options)  # type: ignore[arg-type]

    assert recorded.run_count() == 0
    assert "record.py ran" not in capfd.readouterr().out


def test_run_from_a_local_git_repository_at_a_commit(
    repo: Repo, recorded: Recorded, project_home: Path
) -> None:
    uri = f"file://{repo.path}#proj"
    ended = run(uri, parameters={"label": "git"}, version=repo.first)

    assert ended.status == "FINISHED"
    assert ended.directory.is_relative_to(project_home / "projects" / "git")
    # The first commit's default answer is 1; the work tree's is 2.
    assert recorded.metrics(ended.run_id) == {"answer": [1.0]}
    tags = recorded.tags(ended.run_id)
    assert tags["mlflow.source.name"] == uri
    assert tags["mlflow.source.git.repoURL"] == f"file://{repo.path}"
    assert tags["mlflow.source.git.commit"] == repo.first
    assert "mlflow.source.git.branch" not in tags

    on_branch = run(f"{repo.path}#proj", parameters={"label": "b"}, version="feature")
    assert recorded.metrics(on_branch.run_id) == {"answer": [3.0]}
    tags = recorded.tags(on_branch.run_id)
    assert tags["mlflow.source.git.commit"] == repo.feature
    assert tags["mlflow.source.git.branch"] == "feature"


def test_run_started_inside_a_run_is_its_child(
    make_project: Callable[..., Path],
    recorded: Recorded,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = make_project()
    with runstream.start_run() as parent:
        child = run(folder, parameters={"label": "child"})
        assert runstream.active_run() is parent
    assert recorded.run(child.run_id)["parent_run_id"] == parent.info.run_id
    assert recorded.tags(child.run_id)["mlflow.parentRunId"] == parent.info.run_id

    # A step of a multi-step project inherits its run only as RUNSTREAM_RUN_ID.
    monkeypatch.setenv("RUNSTREAM_RUN_ID", parent.info.run_id)
    step = run(folder, parameters={"label": "step"})
    assert step.run_id != parent.info.run_id
    assert recorded.run(step.run_id)["parent_run_id"] == parent.info.run_id
    assert recorded.metrics(step.run_id) == {"answer": [42.0]}


def test_example_project_search_entry_point(recorded: Recorded) -> None:
    ended = run(EXAMPLE, "search", {"alphas": "0.01,0.1,1", "folds": 3})

    assert ended.status == "FINISHED"
    metrics = recorded.metrics(ended.run_id)
    assert len(metrics["cv_r2"]) == 3
    assert metrics["best_alpha"][0] in (0.01, 0.1, 1.0)
    assert recorded.params(ended.run_id) == {"alphas": "0.01,0.1,1", "folds": "3"}


@pytest.mark.timeout(600)
def test_example_project_runs_in_a_virtualenv(
    recorded: Recorded,
    make_project: Callable[..., Path],
    project_home: Path,
) -> None:
    ended = run(
        EXAMPLE,
        parameters={"alpha": 0.05},
        experiment_name="diabetes-venv",
        env_manager="virtualenv",
    )

    assert ended.status == "FINISHED", ended
    row = recorded.run(ended.run_id)
    assert row["status"] == "FINISHED"
    assert row["experiment_id"] == experiment_id_for("diabetes-venv")
    assert recorded.params(ended.run_id) == {
        "alpha": "0.05",
        "l1_ratio": "0.5",
        "test_size": "0.25",
        "seed": "42",
    }
    assert set(recorded.metrics(ended.run_id)) == {"rmse", "mae", "r2"}
    tags = recorded.tags(ended.run_id)
    assert tags["mlflow.project.env"] == "virtualenv"
    assert tags["mlflow.source.name"] == str(EXAMPLE)
    artifacts = recorded.store.query(
        f"SELECT path FROM {recorded.store.table('artifacts')} FINAL "
        "WHERE run_id = {run_id:String}",
        {"run_id": ended.run_id},
    )
    assert artifacts == [{"path": "model/model.pkl"}]

    # Another project asking for the same environment reuses the venv, and its
    # command's python is the venv's.
    probe = make_project(name="probe")
    shutil.copy(EXAMPLE / "python_env.yaml", probe / "python_env.yaml")
    probed = run(probe, parameters={"label": "venv"}, env_manager="virtualenv")
    (venv,) = [
        ready.parent for ready in project_home.glob(f"projects/envs/*/{READY_MARKER}")
    ]
    assert recorded.tags(probed.run_id)["prefix"] == str(venv)


def test_projects_are_reached_from_a_plain_import() -> None:
    # A fresh interpreter: in this one the tests imported runstream.projects.
    code = "import runstream; print(runstream.projects.run.__module__)"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "runstream.projects.runner"
