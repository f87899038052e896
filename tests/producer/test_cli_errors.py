"""The ``runstream`` command: a RunstreamError, a bad setting included, ends as one
``error:`` line and status 1; a taken port, a number that is no port and a home
that cannot be written are refused before anything starts."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from runstream import cli
from runstream.consumers.service import ProjectionService
from runstream.errors import RunstreamError


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(settings: object) -> None:
        raise AssertionError("the command opened the store despite the error")

    monkeypatch.setattr(ProjectionService, "open", refuse)


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(tmp_path: Path, *options: str) -> list[str]:
    return ["server", "--home", str(tmp_path), "--no-dashboard", *options]


def test_bad_setting_is_one_error_line_and_help_still_works(tmp_path: Path) -> None:
    env = {"PATH": "", "RUNSTREAM_HOME": str(tmp_path), "RUNSTREAM_PARTITIONS": "abc"}
    command = [sys.executable, "-m", "runstream.cli"]
    helped = subprocess.run(
        [*command, "--help"], env=env, capture_output=True, text=True
    )
    assert helped.returncode == 0, helped.stderr

    replay = subprocess.run(
        [*command, "replay", "--local"], env=env, capture_output=True, text=True
    )
    assert replay.returncode == 1
    assert replay.stderr.startswith("error: RUNSTREAM_PARTITIONS='abc'")
    assert len(replay.stderr.splitlines()) == 1, replay.stderr


def test_runstream_error_is_one_line_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nothing_starts: None
) -> None:
    monkeypatch.setenv("RUNSTREAM_AUTH_TOKENS", "bogus")
    result = CliRunner().invoke(cli.app, serve(tmp_path, "--port", str(free_port())))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: RUNSTREAM_AUTH_TOKENS entry 1")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_verbose_keeps_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nothing_starts: None
) -> None:
    monkeypatch.setenv("RUNSTREAM_AUTH_TOKENS", "bogus")
    port = str(free_port())
    result = CliRunner().invoke(cli.app, ["-v", *serve(tmp_path, "--port", port)])
    assert result.exit_code == 1
    assert isinstance(result.exception, RunstreamError)
    assert "error:" not in result.stderr


def test_taken_port_is_refused_before_anything_starts(
    tmp_path: Path, listening: int, nothing_starts: None
) -> None:
    result = CliRunner().invoke(cli.app, serve(tmp_path, "--port", str(listening)))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: port {listening} on 127.0.0.1 is in use")
    assert "pass --port" in result.stderr

    ports = ["--port", str(free_port()), "--dashboard-port", str(listening)]
    result = CliRunner().invoke(
        cli.app, ["server", "--home", str(tmp_path), "--dashboard", *ports]
    )
    assert result.exit_code == 1 and "pass --dashboard-port" in result.stderr


def test_http_requests_are_logged_only_when_verbose() -> None:
    httpx_logger = logging.getLogger("httpx")
    level = httpx_logger.level
    try:
        assert CliRunner().invoke(cli.app, ["models", "--help"]).exit_code == 0
        assert httpx_logger.getEffectiveLevel() == logging.WARNING
        assert CliRunner().invoke(cli.app, ["-v", "models", "--help"]).exit_code == 0
        assert httpx_logger.getEffectiveLevel() == logging.DEBUG
    finally:
        httpx_logger.setLevel(level)


def test_verbose_has_a_help_text() -> None:
    result = CliRunner().invoke(cli.app, ["--help"])
    assert "every HTTP request" in result.output


def assert_one_error_line(result: Result, naming: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: "), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert naming in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["99999", "0", "-1", "65536"])
@pytest.mark.parametrize("option", ["--port", "--dashboard-port"])
def test_server_port_out_of_range_is_one_error_line(
    tmp_path: Path, nothing_starts: None, option: str, value: str
) -> None:
    command = ["server", "--home", str(tmp_path), "--dashboard", option, value]
    result = CliRunner().invoke(cli.app, command)
    assert_one_error_line(result, f"{option} {value} is not a port")
    assert "from 1 to 65535" in result.stderr


def test_models_serve_port_out_of_range_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(model_uri: str) -> None:
        raise AssertionError("the command loaded the model despite the bad port")

    monkeypatch.setattr("runstream.models.load_model", refuse)
    command = ["models", "serve", "-m", "models:/m/1", "--port", "99999"]
    result = CliRunner().invoke(cli.app, command)
    assert_one_error_line(result, "--port 99999 is not a port")


def test_home_that_cannot_be_made_is_one_error_line(
    tmp_path: Path, nothing_starts: None
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    home = str(a_file / "home")
    result = CliRunner().invoke(cli.app, serve(Path(home), "--port", str(free_port())))
    assert_one_error_line(result, f"home {home!r} cannot be created or written")
    assert "pass --home (or set RUNSTREAM_HOME)" in result.stderr

    result = CliRunner().invoke(
        cli.app,
        ["server", "--no-dashboard", "--port", str(free_port())],
        env={"RUNSTREAM_HOME": home},
    )
    assert_one_error_line(result, "RUNSTREAM_HOME")
