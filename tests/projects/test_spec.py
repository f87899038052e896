"""Reading MLproject files: what is accepted, and what is refused with a reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runstream.errors import InvalidInputError
from runstream.projects import Parameter, load_project


def test_reads_name_entry_points_parameters_and_python_env(
    make_project: Callable[..., Path],
) -> None:
    folder = make_project(
        {
            "MLproject": """\
                name: demo
                python_env: env/python_env.yaml
                entry_points:
                  main:
                    parameters:
                      lr: {type: float, default: 0.1}
                      epochs: {type: int, default: 3}
                      data: path
                      where: {type: uri}
                      note: {default: hello}
                      free:
                    command: "python t.py {lr} {epochs} {data} {where} {note}"
                  other:
                    command: echo other
                """,
            "env/python_env.yaml": "python: '3.11'\n",
        }
    )
    project = load_project(folder)

    assert project.name == "demo"
    assert project.directory == folder.resolve()
    assert set(project.entry_points) == {"main", "other"}
    main = project.entry_point("main")
    assert main.parameters == {
        "lr": Parameter("lr", "float", "0.1"),
        "epochs": Parameter("epochs", "int", "3"),
        "data": Parameter("data", "path", None),
        "where": Parameter("where", "uri", None),
        "note": Parameter("note", "string", "hello"),
        "free": Parameter("free", "string", None),
    }
    assert main.parameters["data"].required and not main.parameters["lr"].required
    assert project.environment.kind == "python"
    assert project.environment.path == folder.resolve() / "env/python_env.yaml"


def test_environment_is_found_by_file_name_when_not_declared(
    make_project: Callable[..., Path],
) -> None:
    conda = make_project({"MLproject": "name: c\n", "conda.yaml": "name: c\n"}, "c")
    assert load_project(conda).environment.kind == "conda"
    plain = make_project({"MLproject": "entry_points: {}\n"}, "plain")
    project = load_project(plain)
    assert project.environment.kind == "none" and project.environment.path is None
    assert project.name == "plain"


def test_folder_without_mlproject_runs_its_scripts(
    make_project: Callable[..., Path],
) -> None:
    folder = make_project({"train.py": "", "prep.sh": "", "python_env.yaml": ""})
    project = load_project(folder)

    assert project.entry_points == {}
    assert project.environment.kind == "python"
    assert project.entry_point("train.py").command == "python train.py"
    assert project.entry_point("prep.sh").command == "bash prep.sh"
    with pytest.raises(InvalidInputError, match="no entry point 'main'.*none declared"):
        project.entry_point("main")


def test_descriptor_name_is_matched_case_insensitively(
    make_project: Callable[..., Path],
) -> None:
    folder = make_project({"mlproject": "name: lower\n"})
    assert load_project(folder).name == "lower"


def test_unknown_entry_point_lists_the_known_ones(
    make_project: Callable[..., Path],
) -> None:
    project = load_project(make_project())
    with pytest.raises(InvalidInputError, match=r"entry points: fail, main"):
        project.entry_point("train")


@pytest.mark.parametrize(
    ("descriptor", "message"),
    [
        (
            "entry_points:\n  main:\n    parameters: {a: {type: number}}\n"
            "    command: x\n",
            "has type 'number'; use one of string, float, int, path, uri",
        ),
        (
            "entry_points:\n  main:\n    parameters: {n: {type: int, default: 1.5}}\n"
            "    command: x {n}\n",
            "the default of parameter 'n'.*not an int",
        ),
        (
            "entry_points:\n  main:\n    command: python t.py {missing}\n",
            r"uses \{missing\}; a placeholder must be a plain \{name\}",
        ),
        (
            "entry_points:\n  main:\n    parameters: {a: float}\n"
            "    command: python t.py {a:.2f}\n",
            r"uses \{a:.2f\}",
        ),
        (
            "entry_points:\n  main:\n    command: python t.py {\n",
            "unbalanced braces",
        ),
        ("entry_points:\n  main:\n    parameters: {}\n", "needs a command string"),
        ("entry_points: [main]\n", "must map entry point names"),
        ("name: x\n  bad: [\n", "not valid YAML at line"),
        ("- just\n- a list\n", "must be a mapping"),
        ("docker_env: {image: x}\n", "declares docker_env"),
        ("python_env: missing.yaml\n", "does not exist; add the file"),
    ],
)
def test_bad_descriptor_is_refused_with_the_reason(
    make_project: Callable[..., Path], descriptor: str, message: str
) -> None:
    folder = make_project({"MLproject": descriptor})
    with pytest.raises(InvalidInputError, match=message):
        load_project(folder)


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_project(tmp_path / "nowhere")
