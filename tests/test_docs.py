"""Every command has help text and is documented in the README; CI runs the README's test command."""

from __future__ import annotations

import re

import pytest
import typer.main

from conftest import REPO
from triage.cli.app import app

COMMANDS = sorted(typer.main.get_command(app).commands)


def test_there_are_commands():
    assert {"train", "classify"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_an_example_and_is_in_the_readme(name):
    command = typer.main.get_command(app).commands[name]
    assert command.help and "Example: triage " + name in command.help
    assert f"### `triage {name}`" in (REPO / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in quick_start.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
    assert re.match(r"pip install -e \. && triage classify seeds/\S+\.txt$", commands[0])


LABELS_COMMANDS = sorted(typer.main.get_command(app).commands["labels"].commands)


def test_labels_has_its_subcommands():
    assert {"check", "stats", "export", "import", "agree"} <= set(LABELS_COMMANDS)


@pytest.mark.parametrize("name", LABELS_COMMANDS)
def test_labels_subcommand_has_help_and_an_example_and_is_in_the_readme(name):
    command = typer.main.get_command(app).commands["labels"].commands[name]
    assert command.help and f"Example: triage labels {name}" in command.help
    assert f"triage labels {name} " in (REPO / "README.md").read_text(encoding="utf-8")


def _imported_modules(path) -> set[str]:
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_library_does_not_import_the_command_line():
    """Presentation stays at the edge: only ``cli/`` (and ``python -m triage``) import ``triage.cli``."""
    package = REPO / "src" / "triage"
    offenders = {
        str(path.relative_to(package)): sorted(n for n in _imported_modules(path) if n.startswith("triage.cli"))
        for path in package.rglob("*.py")
        if path.parent.name != "cli" and path.name != "__main__.py"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _strings_outside_docstrings(path) -> list[tuple[int, str]]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docstrings.add(id(node.value))  # an attribute's docstring
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_library_messages_name_parameters_not_command_line_options():
    """Outside ``cli/`` a message names a parameter (`` `text_field` ``); the CLI turns it into ``--text-field``."""
    option = re.compile(r"(?<![\w-])--[a-z]")
    package = REPO / "src" / "triage"
    found = [
        f"{path.relative_to(package)}:{line}: {text!r}"
        for path in sorted(package.rglob("*.py"))
        if path.parent.name != "cli"
        for line, text in _strings_outside_docstrings(path)
        if option.search(text)
    ]
    assert found == []


def test_the_command_line_shows_options_where_the_library_names_parameters():
    from triage.cli.app import cli_terms

    assert cli_terms("a.csv: no 'body' column; set `text_field`") == "a.csv: no 'body' column; set --text-field"
    assert cli_terms("pass `trust_pickle` or `force`") == "pass --trust-pickle or --force"
    assert cli_terms("`language`: no stoplist") == "`language`: no stoplist"  # no option of that name
