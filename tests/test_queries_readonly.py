"""Query commands only read: they work on read-only stores, and refuse a file that is not a
newscrawl store with one line and a non-zero exit, without changing a byte of it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from stores import build_store

from newscrawl.cli import cli

if TYPE_CHECKING:
    from collections.abc import Iterator

QUERIES = (
    ("stats",),
    ("search", "storm"),
    ("runs",),
    ("copies", "2"),
    ("show", "2"),
    ("export", "--csv"),
)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of a folder with the hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "news.db"
    build_store(f"sqlite:///{path}")
    return path


@pytest.fixture
def read_only_copy(store: Path, tmp_path: Path) -> Iterator[Path]:
    """The store, cleanly closed (no -wal, no -shm), alone in a read-only folder, read-only."""
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(store, folder / "news.db")
    (folder / "news.db").chmod(0o444)
    folder.chmod(0o555)
    yield folder / "news.db"
    folder.chmod(0o755)


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: a[0])
def test_query_commands_read_a_read_only_store_in_a_read_only_folder(
    read_only_copy: Path, args: tuple[str, ...]
) -> None:
    before = snapshot(read_only_copy.parent)
    result = invoke(*args, "--db", str(read_only_copy))
    assert result.exit_code == 0, result.output
    assert result.output.strip()
    assert snapshot(read_only_copy.parent) == before  # no byte changed, no -wal/-shm made


def test_queries_leave_a_writable_store_unchanged(store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "news.db"
    shutil.copy(store, copy)
    digest = snapshot(tmp_path)["news.db"]
    for args in QUERIES:
        assert invoke(*args, "--db", str(copy)).exit_code == 0, args
    assert snapshot(tmp_path)["news.db"] == digest


def other_app_db(path: Path, *, wal: bool = False) -> Path:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()
    return path


def not_stores(folder: Path) -> dict[str, Path]:
    text = folder / "notes.txt"
    text.write_text("Shopping list\n- bread\n- milk\n" * 20)
    empty = folder / "empty.db"
    empty.touch()
    return {
        "other app": other_app_db(folder / "other-app.db"),
        "other app, WAL": other_app_db(folder / "other-wal.db", wal=True),
        "0-byte file": empty,
        "text file": text,
    }


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: a[0])
def test_a_file_that_is_not_a_store_is_refused_and_left_alone(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    files = not_stores(tmp_path)
    before = snapshot(tmp_path)
    for kind, path in files.items():
        result = CliRunner().invoke(cli, [*args, "--db", str(path)])
        assert result.exit_code == 1, (kind, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, (kind, result.output)
        assert lines[0].startswith(f"Error: {path} is not a newscrawl store"), (kind, lines)
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert snapshot(tmp_path) == before  # same bytes, and no -wal, -shm or -journal left


def test_db_version_reads_without_writing(read_only_copy: Path) -> None:
    before = snapshot(read_only_copy.parent)
    result = invoke("db", "version", "--db", str(read_only_copy))
    assert result.exit_code == 0
    assert result.output.startswith("store version")
    assert snapshot(read_only_copy.parent) == before


def test_search_json_on_a_read_only_store_finds_the_rows(read_only_copy: Path) -> None:
    hits = json.loads(invoke("search", "otters", "--db", str(read_only_copy), "--json").output)
    assert [h["id"] for h in hits] == [4]
