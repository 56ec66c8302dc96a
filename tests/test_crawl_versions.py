"""Kept pages, re-extraction and article versions, through real crawls of a local site whose
page changes between two crawls."""

from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from crawling import run_crawl
from sites import SiteServer
from test_pipeline_store import make_item, rows, store_all

from newscrawl.cli import cli
from newscrawl.demo.outlets import DEMO_ROOT
from newscrawl.demo.pages import read_page
from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article
from newscrawl.items import ArticleItem
from newscrawl.store.pages import ZSTD_MAGIC, page_body
from newscrawl.store.versions import word_diff

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PATH = "/2024/05/12/otters-return-to-marren-estuary.html"
TITLE = "Otters return to the Marren estuary after forty years"
EDITED_TITLE = "Beavers return to the Marren estuary after four decades"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    page = root / PATH.lstrip("/")
    page.parent.mkdir(parents=True)
    page.write_bytes(read_page(DEMO_ROOT / "gazette" / PATH.lstrip("/")))
    with SiteServer(root) as server:
        yield server


def edit(site: SiteServer) -> bytes:
    """The outlet edits the story: a new headline and a changed sentence."""
    page = site.root / PATH.lstrip("/")
    html = page.read_text(encoding="utf-8")
    assert TITLE in html
    html = html.replace("forty years", "four decades")
    html = html.replace(TITLE.replace("forty years", "four decades"), EDITED_TITLE)
    page.write_text(html, encoding="utf-8")
    return html.replace("{{BASE}}", site.base_url).encode()


def one(db: Path, sql: str) -> Any:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()


def test_page_kept_changes_versioned_and_history_diffs(site: SiteServer, db: Path) -> None:
    first = run_crawl("urls", db, url=site.url(PATH))
    assert first.stats["newscrawl/store/inserted"] == 1, first.log
    assert first.stats["newscrawl/store/pages_kept"] == 1
    url, size, body = one(db, "SELECT url, size, body FROM article_pages")
    served = (
        (site.root / PATH.lstrip("/")).read_bytes().replace(b"{{BASE}}", site.base_url.encode())
    )
    assert (url, size, page_body(body)) == (site.url(PATH), len(served), served)
    assert body[:4] == ZSTD_MAGIC  # a Zstandard frame, as docs/schema.md says
    assert len(body) < size / 2  # compressed

    edited = edit(site)
    second = run_crawl("urls", db, url=site.url(PATH), refresh="1")
    assert second.stats["newscrawl/store/updated"] == 1, second.log
    assert second.stats["newscrawl/store/versions_kept"] == 1
    assert one(db, "SELECT title FROM articles") == (EDITED_TITLE,)
    assert one(db, "SELECT COUNT(*) FROM articles") == (1,)
    assert page_body(one(db, "SELECT body FROM article_pages")[0]) == edited
    kept = one(
        db, "SELECT title, text LIKE '%forty years%', seen_from < replaced_at FROM article_versions"
    )
    assert kept == (TITLE, 1, 1)

    listing = json.loads(invoke("history", site.url(PATH), "--db", str(db), "--json").output)
    assert [(v["version"], v["title"]) for v in listing] == [(1, TITLE), (2, EDITED_TITLE)]
    assert listing[0]["replaced_at"] == listing[1]["seen_from"]
    assert listing[1]["replaced_at"] is None
    shown = invoke("history", "1", "--db", str(db), "--diff", "1", "2")
    assert shown.exit_code == 0
    assert (
        "Title: [-Otters-] {+Beavers+} return to the Marren estuary after "
        "[-forty years-] {+four decades+}"
    ) in shown.output
    assert "[-forty years-] {+four decades+}" in shown.output
    table = invoke("history", "1", "--db", str(db)).output
    assert table.splitlines()[0].split()[:3] == ["version", "seen_from", "replaced_at"]


def test_reextract_updates_what_changed_from_the_kept_pages(db: Path) -> None:
    # A page stored by the pipelines as a crawl stores it (no crawl needed to re-extract).
    base = "https://gazette.example"
    page = read_page(DEMO_ROOT / "gazette" / PATH.lstrip("/")).replace(b"{{BASE}}", base.encode())
    article = extract_article(page, base + PATH)
    assert isinstance(article, Article)
    item = ArticleItem(
        article=replace(article, source="gazette"),
        fetched_at=datetime.now(UTC),
        aliases=[base + PATH],
        page=page,
    )
    store_all(db, [item])
    before = one(db, "SELECT title, text, content_hash, word_count FROM articles")
    # As an older extractor might have stored it: a wrong title and a truncated text.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET title = 'Otters', text = substr(text, 1, 200)")
    result = invoke("reextract", "--db", str(db))
    assert result.output.strip() == "Re-extracted 1 pages: 1 changed, 0 unchanged, 0 failed"
    assert one(db, "SELECT title, text, content_hash, word_count FROM articles") == before
    assert one(db, "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'otters'") == (1,)
    assert one(db, "SELECT COUNT(*) FROM article_versions") == (0,)  # not an edit at the source

    again = invoke("reextract", "--db", str(db), "--source", "gazette", "--since", "2024-01-01")
    assert again.output.strip() == "Re-extracted 1 pages: 0 changed, 1 unchanged, 0 failed"
    none = invoke("reextract", "--db", str(db), "--source", "elsewhere")
    assert none.output.startswith("No kept pages to re-extract for these options")
    later = invoke("reextract", "--db", str(db), "--since", "2999-01-01")
    assert later.output.startswith("No kept pages")

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE article_pages SET body = ?", (zlib.compress(b"<html></html>"),))
    failed = invoke("reextract", "--db", str(db))
    assert failed.output.strip().startswith(
        "Re-extracted 1 pages: 0 changed, 0 unchanged, 1 failed ("
    )
    assert one(db, "SELECT title, text, content_hash, word_count FROM articles") == before

    # A page kept by an earlier newscrawl, a zlib stream, is read as well as a new one.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE article_pages SET body = ?", (zlib.compress(page),))
        conn.execute("UPDATE articles SET title = 'Otters'")
    old = invoke("reextract", "--db", str(db))
    assert old.output.strip() == "Re-extracted 1 pages: 1 changed, 0 unchanged, 0 failed"
    assert one(db, "SELECT title, text, content_hash, word_count FROM articles") == before

    # A body that does not decompress is counted and skipped, and the article stays.
    for body in (ZSTD_MAGIC + b"not a frame", b"neither"):
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE article_pages SET body = ?", (body,))
        corrupt = invoke("reextract", "--db", str(db))
        assert corrupt.output.strip() == (
            "Re-extracted 1 pages: 0 changed, 0 unchanged, 1 failed (corrupt_page 1)"
        )
        assert one(db, "SELECT title, text, content_hash, word_count FROM articles") == before

    stats = invoke("stats", "--db", str(db)).output
    assert "Kept pages: 1, " in stats


def test_keep_pages_off_keeps_none(db: Path) -> None:
    item = make_item("https://news.example/a.html")
    item.page = b"<html><body>the page</body></html>"
    store_all(db, [item], NEWSCRAWL_KEEP_PAGES=False)
    assert rows(db, "SELECT COUNT(*) FROM article_pages") == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM articles") == [(1,)]


def test_history_and_reextract_refuse_bad_input(db: Path) -> None:
    store_all(db, [make_item("https://news.example/a.html")])
    missing = CliRunner().invoke(
        cli, ["history", "https://news.example/none.html", "--db", str(db)]
    )
    assert missing.exit_code == 1
    assert "no article 'https://news.example/none.html' in the store" in missing.output
    beyond = CliRunner().invoke(cli, ["history", "1", "--db", str(db), "--diff", "1", "3"])
    assert beyond.exit_code == 2
    assert "article 1 has 1 version" in beyond.output
    bad_date = CliRunner().invoke(cli, ["reextract", "--db", str(db), "--since", "last tuesday"])
    assert bad_date.exit_code == 2
    assert "is not an ISO 8601 date" in bad_date.output


def test_word_diff_keeps_paragraphs() -> None:
    assert word_diff("a b c\nd e", "a x c\nd e f") == "a [-b-] {+x+} c\n\nd e {+f+}"
    assert word_diff("same", "same") == "same"
