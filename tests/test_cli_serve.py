"""`newscrawl serve`: the store in Datasette, checked with real HTTP requests."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from crawling import REPO, WARNINGS_AS_ERRORS, free_ports, run_crawl

from newscrawl.cli import cli
from newscrawl.query.datasette import database_metadata

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sites import SiteServer

NEWSCRAWL = [sys.executable, "-c", "from newscrawl.cli import main; main()"]


@pytest.fixture(scope="module")
def store(demo_sites: dict[str, SiteServer], tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("serve") / "news.db"
    result = run_crawl("feed", db, url=demo_sites["gazette"].url("/feed.xml"))
    assert result.stats["newscrawl/store/inserted"] == 8, result.log
    return db


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[str]:
    before = store.read_bytes()
    port = free_ports(1)
    env = {**os.environ, **WARNINGS_AS_ERRORS}
    command = [*NEWSCRAWL, "serve", "--db", str(store), "--port", str(port)]
    with subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:
        base = f"http://127.0.0.1:{port}"
        try:
            # Datasette says when it listens: wait for that line, not for a guessed time.
            assert proc.stderr is not None
            started = []
            for line in proc.stderr:
                started.append(line)
                if "Uvicorn running on" in line:
                    break
            else:
                raise AssertionError("Datasette ended before serving:\n" + "".join(started))
            get(f"{base}/-/versions.json")
            yield f"{base}/news"
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
    assert store.read_bytes() == before, "serving changed the store"


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def articles(store: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(store) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM articles ORDER BY id")]


@pytest.mark.parametrize("table", ["articles", "stories"])
def test_search_returns_only_matching_rows(server: str, store: Path, table: str) -> None:
    found = get(f"{server}/{table}.json?_search=storm&_shape=objects&_size=max")["rows"]
    stored = articles(store)
    matching = {
        a["id"] for a in stored if re.search(r"\bstorms?\b", f"{a['title']} {a['text']}", re.I)
    }
    assert 0 < len(matching) < len(stored)
    assert {r["id"] for r in found} == matching
    assert get(f"{server}/{table}.json?_search=zzyzx&_shape=objects")["rows"] == []


def test_facets_by_source_date_language_and_tags(server: str) -> None:
    facets = get(f"{server}/articles.json")["facet_results"]
    assert {"source", "published_at", "language", "tags"} <= set(facets)
    sources = {v["value"]: v["count"] for v in facets["source"]["results"]}
    assert sources == {"127.0.0.1": 8}  # a feed crawled without a sources file: its domain
    assert any(v["value"] == "storm-imogen" for v in facets["tags"]["results"])


def test_saved_queries_run(server: str, store: Path) -> None:
    hits = get(f"{server}/search.json?q=storm&_shape=objects")["rows"]
    assert hits
    assert all("[" in h["snippet"] and "]" in h["snippet"] and h["url"] for h in hits)
    first = articles(store)[0]
    copies = get(f"{server}/copies_of_story.json?article_id={first['id']}&_shape=objects")["rows"]
    assert [(c["article_id"], c["kind"]) for c in copies] == [(first["id"], "original")]
    days = get(f"{server}/articles_per_source_per_day.json?_shape=objects")["rows"]
    assert sum(d["articles"] for d in days) == 8
    assert {d["source"] for d in days} == {"127.0.0.1"}
    runs = get(f"{server}/last_runs.json?_shape=objects")["rows"]
    assert runs[0]["status"] == "finished"
    assert (runs[0]["fetched"], runs[0]["new"], runs[0]["errors"]) == (8, 8, 0)


def test_internal_tables_hidden_and_columns_described(server: str) -> None:
    database = get(f"{server}.json")
    visible = {t["name"] for t in database["tables"] if not t["hidden"]}
    assert visible == {
        "articles", "article_urls", "article_versions", "crawl_runs", "duplicate_decisions",
    }  # fmt: skip
    hidden = {t["name"] for t in database["tables"] if t["hidden"]}
    assert {"lsh_buckets", "article_pages", "articles_fts", "articles_fts_data"} <= hidden
    served = get(server.rsplit("/", 1)[0] + "/-/metadata.json")["databases"]["news"]
    assert served["tables"]["stories"]["columns"]["title"]


def test_every_column_of_the_store_is_described(store: Path) -> None:
    """The shipped metadata and docs/schema.md both cover every column analysts see."""
    tables = database_metadata()["tables"]
    schema_doc = (REPO / "docs" / "schema.md").read_text()
    with sqlite3.connect(store) as conn:
        names = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            )
        ]
        hidden = [t for t, meta in tables.items() if meta.get("hidden")]
        shown = [n for n in names if not any(n.startswith(h) for h in hidden)]
        assert shown
        for name in shown:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({name})")]
            described = tables[name].get("columns", {})
            assert [c for c in columns if not described.get(c)] == [], name
            undocumented = [c for c in columns if not re.search(rf"\b{c}\b", schema_doc)]
            assert undocumented == [], name


def test_serve_refuses_what_is_not_a_store(tmp_path: Path) -> None:
    other = tmp_path / "other-app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    before = other.read_bytes()
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all\n" * 100)
    for path, message in [
        (other, f"Error: {other} is not a newscrawl store (it has no articles table)"),
        (text, f"Error: {text} is not a SQLite database"),
        (tmp_path / "none.db", f"Error: no database at {tmp_path / 'none.db'}."),
    ]:
        result = CliRunner().invoke(cli, ["serve", "--db", str(path)])
        assert result.exit_code == 1
        assert result.output.startswith(message), result.output
        assert len(result.output.strip().splitlines()) == 1
    assert other.read_bytes() == before
    assert not (tmp_path / "none.db").exists()
