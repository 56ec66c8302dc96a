"""The documentation is part of the interface: every command and setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newscrawl import settings
from newscrawl.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs"
README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_commands_are_documented_with_an_example(name: str) -> None:
    command = cli.commands[name]
    assert command.help, f"{name} is missing its help"
    assert "Example:" in command.help, f"{name}'s help has no example"
    assert f"## newscrawl {name}" in (DOCS / "cli.md").read_text()


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


def test_readme_setup_commands_match_ci() -> None:
    readme = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    assert '.venv/bin/pip install -e ".[test]" && .venv/bin/pytest' in readme
    assert '.venv/bin/pip install -e ".[test]"' in ci
    assert ".venv/bin/pytest" in ci
