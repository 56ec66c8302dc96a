"""The store in Datasette: the metadata shipped with the package, for ``newscrawl serve``.

``datasette_metadata.json`` (package data) wires full-text search on ``articles`` and
``stories`` through ``fts_table``/``fts_pk``, whatever the FTS table's declaration; sets the
facets; hides the internal tables; describes every column; and holds the saved queries.
See docs/cli.md.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Final

METADATA_PATH: Final = Path(__file__).resolve().with_name("datasette_metadata.json")
DEFAULT_PORT: Final = 8001  # Datasette's own default


class NotAStoreError(ValueError):
    """The file cannot be served as a newscrawl store; the message says why in one line."""


def database_metadata() -> dict[str, Any]:
    """The metadata of one store, as shipped; ``stories`` shares the columns of ``articles``."""
    data: dict[str, Any] = json.loads(METADATA_PATH.read_text(encoding="utf-8"))
    tables = data["tables"]
    tables["stories"].setdefault("columns", dict(tables["articles"]["columns"]))
    return data


def datasette_metadata(path: Path) -> dict[str, Any]:
    """Datasette's metadata for serving ``path``: its database is named after the file."""
    return {
        "title": f"newscrawl: {path.name}",
        "about": "newscrawl",
        "databases": {path.stem: database_metadata()},
    }


def check_store(path: Path) -> None:
    """Raise :class:`NotAStoreError` unless ``path`` is a SQLite file with an articles table.

    Opened read-only, so a wrong path is neither created nor changed.
    """
    if not path.is_file():
        raise NotAStoreError(
            f"no database at {path}. Run `newscrawl crawl` or `newscrawl demo` first, "
            "or point --db / NEWSCRAWL_DB at an existing store."
        )
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            tables = {
                name
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
    except sqlite3.DatabaseError as exc:
        raise NotAStoreError(f"{path} is not a SQLite database ({exc})") from exc
    if "articles" not in tables:
        raise NotAStoreError(f"{path} is not a newscrawl store (it has no articles table)")


def datasette_arguments(
    path: Path, metadata: Path, *, host: str, port: int, immutable: bool
) -> list[str]:
    """``datasette serve`` arguments. Datasette opens a plain file argument read-only (it
    then sees what running crawls add) and an ``-i`` one as immutable."""
    files = ["-i", str(path)] if immutable else [str(path)]
    return ["serve", *files, "--metadata", str(metadata), "--host", host, "--port", str(port)]
