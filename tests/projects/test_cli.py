"""``runstream run``: options, exit statuses, and refusals on the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from projects_support import Recorded, Repo
from typer.testing import CliRunner

from runstream.cli import app
from runstream.tracking import experiment_id_for

runner = CliRunner()


def _run_id(output: str) -> str:
    match = re.search(r"^run ([0-9a-f]{32}) ", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_run_command_tracks_the_project(
    make_project: Callable[..., Path], recorded: Recorded
) -> None:
    folder = make_project()
    result = runner.invoke(
        app,
        [
            "run", str(folder),
            "-P", "label=from cli",
            "--param", "answer=5",
            "--experiment-name", "cli-test",
            "--run-name", "cli-run",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "FINISHED (exit code 0)" in result.output
    run_id = _run_id(result.output)
    assert recorded.run(run_id)["experiment_id"] == experiment_id_for("cli-test")
    assert recorded.params(run_id) == {"answer": "5", "label": "from cli"}
    assert recorded.metrics(run_id) == {"answer": [5.0]}
    assert recorded.tags(run_id)["mlflow.runName"] == "cli-run"


def test_run_command_at_a_git_version(repo: Repo, recorded: Recorded) -> None:
    result = runner.invoke(
        app, ["run", f"{repo.path}#proj", "--version", "v1", "-P", "label=x"]
    )

    assert result.exit_code == 0, result.output
    run_id = _run_id(result.output)
    assert recorded.metrics(run_id) == {"answer": [1.0]}
    assert recorded.tags(run_id)["mlflow.source.git.commit"] == repo.first


def test_failing_project_exits_with_its_status(
    make_project: Callable[..., Path], recorded: Recorded
) -> None:
    result = runner.invoke(app, ["run", str(make_project()), "-e", "fail"])

    assert result.exit_code == 3
    assert "FAILED (exit code 3)" in result.output
    assert recorded.run(_run_id(result.output))["status"] == "FAILED"


def test_refusals_exit_2_with_the_reason(
    make_project: Callable[..., Path], recorded: Recorded
) -> None:
    folder = str(make_project())
    cases = [
        (["-P", "label=y", "-P", "answer=x"], "is 'x', which is not a float"),
        (["-P", "oops"], "'oops' is not key=value"),
        (["-e", "nope"], "no entry point 'nope'"),
        ([], "needs parameter(s) label"),
        (["--env-manager", "docker"], "docker"),
    ]
    for options, message in cases:
        result = runner.invoke(app, ["run", folder, *options])
        assert result.exit_code == 2, (options, result.output)
        assert message in result.output, (options, result.output)
    assert recorded.run_count() == 0


def test_installed_command_streams_the_output_before_the_verdict(
    make_project: Callable[..., Path], log_path: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "RUNSTREAM_TRACKING_URI": str(log_path)}
    done = subprocess.run(
        [sys.executable, "-m", "runstream.cli", "run", str(make_project())]
        + ["-P", "label=sub"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    ran = done.stdout.index("record.py ran in")
    assert done.stdout.index("FINISHED (exit code 0)") > ran
