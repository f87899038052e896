"""Parameters: parsing -P, type checks, path resolution, and quoting into commands."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from runstream.errors import InvalidInputError
from runstream.projects import EntryPoint, Parameter
from runstream.projects.params import (
    parse_assignments,
    render_command,
    resolve_parameters,
)


def _entry(command: str, *parameters: Parameter) -> EntryPoint:
    return EntryPoint("main", command, {p.name: p for p in parameters})


def test_assignments_split_at_the_first_equals_sign() -> None:
    assert parse_assignments(["a=1", "expr=x=y", "empty="]) == {
        "a": "1",
        "expr": "x=y",
        "empty": "",
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["alpha"], "'alpha' is not key=value"),
        (["=3"], "is not key=value"),
        (["a=1", "a=2"], "'a' is given twice"),
    ],
)
def test_bad_assignments_are_refused(items: list[str], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_assignments(items)


def test_every_missing_required_parameter_is_named_at_once(tmp_path: Path) -> None:
    entry = _entry(
        "t {a} {b} {c}",
        Parameter("a", "float"),
        Parameter("b", "string"),
        Parameter("c", "int", "1"),
    )
    with pytest.raises(InvalidInputError) as info:
        resolve_parameters(entry, {}, tmp_path, tmp_path)
    assert "needs parameter(s) a, b" in str(info.value)
    assert "-P a=... -P b=..." in str(info.value)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("float", "fast", "'fast', which is not a float"),
        ("int", "2.5", "'2.5', which is not an int"),
        ("int", "ten", "which is not an int"),
        ("path", " ", "is empty; pass a path"),
        ("path", "s3://bucket/data.csv", "a remote location"),
    ],
)
def test_wrong_types_are_refused_naming_the_parameter(
    tmp_path: Path, kind: str, value: str, message: str
) -> None:
    entry = _entry("t {p}", Parameter("p", kind))
    with pytest.raises(InvalidInputError, match=message) as info:
        resolve_parameters(entry, {"p": value}, tmp_path, tmp_path)
    assert "parameter 'p' of entry point 'main'" in str(info.value)


def test_values_keep_their_text_and_paths_become_absolute(tmp_path: Path) -> None:
    project, caller = tmp_path / "project", tmp_path / "caller"
    entry = _entry(
        "t",
        Parameter("lr", "float", "0.10"),
        Parameter("n", "int"),
        Parameter("given", "path"),
        Parameter("default", "path", "data/train.csv"),
        Parameter("url", "uri"),
        Parameter("local_uri", "uri", "out"),
        Parameter("file_url", "path"),
    )
    values, extras = resolve_parameters(
        entry,
        {
            "n": 7,
            "given": "in.csv",
            "url": "s3://bucket/x",
            "file_url": "file:///tmp/a%20b",
            "extra": 1.5,
        },
        project,
        caller,
    )

    assert values == {
        "lr": "0.10",
        "n": "7",
        # Supplied: relative to the caller. Default: relative to the project.
        "given": str(caller / "in.csv"),
        "default": str(project / "data/train.csv"),
        "url": "s3://bucket/x",
        "local_uri": str(project / "out"),
        "file_url": "/tmp/a b",
    }
    assert extras == {"extra": "1.5"}


def test_command_gets_quoted_values_and_extras_as_options() -> None:
    entry = _entry(
        "python t.py --msg {msg} --n {n} {{literal}}",
        Parameter("msg"),
        Parameter("n", "int"),
    )
    command = render_command(
        entry, {"msg": "it's $HOME; rm -rf /", "n": "3"}, {"seed": "1 2"}
    )

    assert command == (
        "python t.py --msg 'it'\"'\"'s $HOME; rm -rf /' --n 3 {literal} --seed '1 2'"
    )
    assert shlex.split(command)[3] == "it's $HOME; rm -rf /"
