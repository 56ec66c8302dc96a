"""The `newscrawl` command: the demo end to end, the query commands, and bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from crawling import WARNINGS_AS_ERRORS, free_ports

from newscrawl.cli import cli

REPO = Path(__file__).resolve().parent.parent
NEWSCRAWL = [sys.executable, "-c", "from newscrawl.cli import main; main()"]


def newscrawl(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **WARNINGS_AS_ERRORS}
    env.pop("NEWSCRAWL_DB", None)
    return subprocess.run(
        [*NEWSCRAWL, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store filled by `newscrawl demo`, offline, as a newcomer runs it."""
    db = tmp_path_factory.mktemp("demo") / "news.db"
    proc = newscrawl("demo", "--db", str(db), "--port", str(free_ports(2)))
    assert proc.returncode == 0, proc.stderr
    assert "finished" in proc.stderr
    return db


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_demo_fills_the_store_and_search_finds_it(demo_db: Path) -> None:
    result = invoke("search", "storm", "--db", str(demo_db), "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert len(hits) >= 2
    assert all("Storm" in h["title"] or "storm" in h["snippet"].lower() for h in hits)


def test_stats_per_source(demo_db: Path, manifest: dict[str, Any]) -> None:
    result = invoke("stats", "--db", str(demo_db), "--json")
    rows = {r["source"]: r for r in json.loads(result.output)}
    assert set(rows) == {"gazette", "courier"}
    # The demo crawls both outlets at once: whichever copy of the syndicated story arrives
    # first is the original, the other its duplicate.
    assert sum(row["duplicates"] for row in rows.values()) == len(manifest["syndicated"])
    pages = sum(len(site["articles"]) for site in manifest["sites"].values())
    assert sum(row["articles"] for row in rows.values()) == pages
    table = invoke("stats", "--db", str(demo_db))
    assert table.stdout.splitlines()[0].split()[:4] == [
        "source",
        "articles",
        "stories",
        "duplicates",
    ]


def test_copies_lists_syndication(demo_db: Path) -> None:
    search = json.loads(invoke("search", "otters", "--db", str(demo_db), "--json", "--all").output)
    ids = {h["id"] for h in search}
    copies = json.loads(invoke("copies", str(min(ids)), "--db", str(demo_db), "--json").output)
    assert {c["source"] for c in copies} == {"gazette", "courier"}
    assert sorted(c["kind"] for c in copies) == ["near", "original"]


def test_export_jsonl_and_csv(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    assert invoke("export", "--db", str(demo_db), "--all", "-o", str(out)).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    stories = json.loads(invoke("stats", "--db", str(demo_db), "--json").output)
    assert len(rows) == sum(s["articles"] for s in stories)
    assert all(isinstance(r["tags"], list) for r in rows)
    result = invoke("export", "--db", str(demo_db), "--format", "csv", "--source", "courier")
    parsed = list(csv.DictReader(io.StringIO(result.output)))
    assert parsed
    assert {r["source"] for r in parsed} == {"courier"}
    assert all(r["duplicate_of"] == "" for r in parsed)  # stories only without --all


def test_runs_are_listed(demo_db: Path) -> None:
    runs = json.loads(invoke("runs", "--db", str(demo_db), "--json").output)
    assert runs[0]["status"] == "finished"
    assert runs[0]["new"] > 0


def test_search_tolerates_fts_syntax_errors(demo_db: Path) -> None:
    result = invoke("search", 'bridge" AND (', "--db", str(demo_db))
    assert result.exit_code == 0
    assert invoke("search", "--sql", "x").output.startswith("SELECT")


@pytest.mark.parametrize("command", ["stats", "runs", "export"])
def test_missing_database_is_a_clear_error(command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [command, "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no database at" in result.output
    assert not (tmp_path / "none.db").exists()


def test_bad_database_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", "--db", "nosuchdriver://x/y"])
    assert result.exit_code == 1
    assert "Error:" in result.output


def test_extract_saved_pages(tmp_path: Path) -> None:
    page = (
        REPO
        / "newscrawl"
        / "demo"
        / "site"
        / "gazette"
        / "2024"
        / "05"
        / "03"
        / "harbour-bridge-reopens.html"
    )
    (tmp_path / "a.html").write_bytes(page.read_bytes())
    (tmp_path / "empty.html").write_text("<html><body></body></html>")
    result = invoke("extract", str(tmp_path), "--jsonl")
    records = {Path(r["file"]).name: r for r in map(json.loads, result.output.splitlines())}
    assert records["a.html"]["title"] == "Harbour bridge reopens after fourteen months of repairs"
    assert "error" in records["empty.html"]


def test_crawl_with_bad_sources_file_fails_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nname = "x"\nkind = "radio"\nurls = ["https://x.example/"]\n')
    proc = newscrawl("crawl", "--db", str(tmp_path / "n.db"), "--sources", str(bad))
    assert proc.returncode == 1
    assert "'kind' must be one of feed, sitemap, site" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_crawl_of_dead_hosts_exits_non_zero(tmp_path: Path) -> None:
    dead = tmp_path / "sources.toml"
    dead.write_text(
        '[[source]]\nname = "dead"\nkind = "feed"\nurls = ["http://127.0.0.1:9/feed.xml"]\n'
    )
    proc = newscrawl(
        "crawl", "--db", str(tmp_path / "n.db"), "--sources", str(dead),
        "-s", "RETRY_TIMES=0", "-s", "AUTOTHROTTLE_ENABLED=0",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "failed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_cli_arguments() -> None:
    result = CliRunner().invoke(cli, ["search"])
    assert result.exit_code == 2
    assert "Missing argument 'QUERY'" in result.output
    result = CliRunner().invoke(cli, ["crawl", "-s", "nonsense"])
    assert result.exit_code == 2


def test_overlapping_crawls_are_refused(tmp_path: Path) -> None:
    from newscrawl.crawl.lock import crawl_lock

    db = tmp_path / "n.db"
    with crawl_lock(f"sqlite:///{db}"):
        proc = newscrawl("crawl", "--db", str(db), "--only", "bbc")
    assert proc.returncode == 75
    assert f"another crawl is running on this store (pid {os.getpid()}" in proc.stderr


def test_reindex_rebuilds_what_the_crawl_built(demo_db: Path) -> None:
    def snapshot() -> tuple[list[Any], list[Any]]:
        with sqlite3.connect(demo_db) as conn:
            fts = conn.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'otters' ORDER BY rowid"
            ).fetchall()
            lsh = conn.execute("SELECT * FROM lsh_buckets ORDER BY 1, 2, 3").fetchall()
        return fts, lsh

    before = snapshot()
    result = invoke("reindex", "--db", str(demo_db))
    assert result.exit_code == 0
    assert "11 stories" in result.output
    assert snapshot() == before
