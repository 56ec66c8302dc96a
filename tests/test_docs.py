"""The documentation is part of the interface: every command and setting is documented."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from newscrawl import settings
from newscrawl.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = Path(__file__).resolve().parent.parent / "README.md"


def all_commands(group: click.Group = cli, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every command by its full name ("db upgrade"), subcommands of groups included."""
    for name, command in sorted(group.commands.items()):
        yield prefix + name, command
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{prefix}{name} ")


COMMANDS = dict(all_commands())


def cli_section(name: str) -> str:
    """The text under ``## newscrawl NAME`` in docs/cli.md, up to the next heading."""
    text = (DOCS / "cli.md").read_text()
    heading = rf"^## newscrawl {re.escape(name)}(?: [][A-Z.|]+)*\n"  # then its ARGUMENTS
    found = re.search(rf"{heading}(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert found, f"docs/cli.md has no section '## newscrawl {name}'"
    return found.group(1)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_commands_are_documented_with_an_example(name: str) -> None:
    command = COMMANDS[name]
    assert command.help, f"{name} is missing its help"
    assert "Example:" in command.help, f"{name}'s help has no example"
    section = cli_section(name)
    if not isinstance(command, click.Group):
        assert re.search(rf"^    newscrawl {name}\b", section, re.M), f"no example of {name}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_is_documented(name: str) -> None:
    """Each option of each command is named in that command's section of docs/cli.md."""
    section = cli_section(name)
    missing = [
        option
        for param in COMMANDS[name].params
        if isinstance(param, click.Option) and "--help" not in param.opts
        for option in param.opts
        if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", section)
    ]
    assert not missing, f"docs/cli.md does not document {name} {missing}"


def test_the_group_options_are_documented() -> None:
    intro = (DOCS / "cli.md").read_text().split("\n## ")[0]
    for param in cli.params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            assert any(f"`newscrawl {o}`" in intro for o in param.opts), param.opts


def test_settings_are_documented() -> None:
    documented = (DOCS / "settings.md").read_text()
    names = [n for n in dir(settings) if n.startswith("NEWSCRAWL_")]
    root = Path(settings.__file__).parent.parent
    code = [p.read_text() for d in ("newscrawl", "pipelines") for p in (root / d).rglob("*.py")]
    used = set(re.findall(r"NEWSCRAWL_[A-Z_]+[A-Z]", " ".join(code)))
    missing = [n for n in sorted(set(names) | used) if f"`{n}`" not in documented]
    assert not missing, f"undocumented settings: {missing}"


def test_readme_links_resolve() -> None:
    for target in re.findall(r"\]\((docs/[^)]+)\)", README.read_text()):
        assert (README.parent / target).exists(), target


def test_ci_runs_the_readme_setup_commands_and_nothing_else() -> None:
    """.ci/run reads its commands from the README, so a step CI needs is a step users see."""
    import subprocess
    import sys

    listed = subprocess.run(
        [sys.executable, str(README.parent / ".ci" / "readme_commands.py"), str(README)],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert listed[0].endswith(".venv/bin/pip install -e . && .venv/bin/newscrawl demo")
    assert listed[1].endswith('.venv/bin/pip install -e ".[test]" && .venv/bin/pytest')
    ci_lines = (README.parent / ".ci" / "run").read_text().splitlines()
    code = "\n".join(line for line in ci_lines if not line.lstrip().startswith("#"))
    assert "pip install" not in code, "CI must not install anything the README does not say"
    assert "pytest" not in code


def test_html_clean_is_declared_for_stock_pip() -> None:
    """A stock venv's pip 23 does not resolve justext's `lxml[html_clean]`; we name it."""
    pyproject = (README.parent / "pyproject.toml").read_text()
    assert '"lxml-html-clean' in pyproject


def test_schema_doc_names_every_table_and_column() -> None:
    from newscrawl.store.schema import Base

    documented = (DOCS / "schema.md").read_text()
    missing = [
        f"{table.name}.{column}"
        for table in Base.metadata.sorted_tables
        for column in [table.name, *table.columns.keys()]
        if not re.search(rf"\b{re.escape(column)}\b", documented)
    ]
    assert not missing, f"docs/schema.md does not describe {missing}"
    for name in ("articles_fts", "stories", "story_copies", "alembic_version"):
        assert f"`{name}" in documented, name


def test_deployment_doc_names_only_real_settings() -> None:
    named = set(re.findall(r"NEWSCRAWL_[A-Z_]+[A-Z]", (DOCS / "deployment.md").read_text()))
    assert named, "docs/deployment.md names no setting"
    assert not [n for n in sorted(named) if not hasattr(settings, n)]
