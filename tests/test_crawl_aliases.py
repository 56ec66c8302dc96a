"""An address that differs from a stored article's only in its query string, serving the
identical page, becomes an alias of that article (a real crawl of a local site)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from crawling import run_crawl
from sites import SiteServer, static_route
from test_pipeline_store import make_item, rows, store_all
from texts import distinct_text

from newscrawl.demo.outlets import DEMO_ROOT
from newscrawl.demo.pages import read_page

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

STORY = "/world/story.html"


def page_without_canonical() -> str:
    """A demo article that declares no address of its own, as many real pages do not."""
    html = read_page(
        DEMO_ROOT / "gazette" / "2024/05/12/otters-return-to-marren-estuary.html"
    ).decode()
    return "\n".join(
        line for line in html.splitlines() if 'rel="canonical"' not in line and "og:url" not in line
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    (tmp_path / "world").mkdir()
    body = page_without_canonical()
    (tmp_path / "world" / "story.html").write_text(body)
    # The same page at another path is a copy, not an alias: it keeps its own row.
    with SiteServer(tmp_path, routes={"/mirror/story.html": static_route(body)}) as server:
        yield server


def test_query_string_variant_is_an_alias_not_a_second_row(site: SiteServer, db: Path) -> None:
    first = run_crawl("urls", db, url=site.url(STORY))
    assert first.stats["newscrawl/store/inserted"] == 1, first.log
    variant = site.url(STORY + "?storylist=international")
    mirror = site.url("/mirror/story.html")
    second = run_crawl("urls", db, url=f"{variant},{mirror}")
    assert second.returncode == 0, second.log
    stats = second.stats
    assert stats["newscrawl/store/aliased"] == 1
    assert stats["newscrawl/dedupe/url"] == 1
    assert stats["newscrawl/dedupe/exact"] == 1  # the mirror
    articles = second.rows("SELECT id, url, duplicate_of, duplicate_kind FROM articles ORDER BY id")
    assert [(a["url"], a["duplicate_kind"]) for a in articles] == [
        (site.url(STORY), None),
        (mirror, "exact"),
    ]
    original = articles[0]["id"]
    urls = second.rows("SELECT url, article_id FROM article_urls ORDER BY url")
    assert {"url": variant, "article_id": original} in urls
    decisions = second.rows("SELECT url, article_id, original_id, kind FROM duplicate_decisions")
    assert {"url": variant, "article_id": None, "original_id": original, "kind": "url"} in decisions

    # The variant is an address of the article now, so later runs skip it (deltafetch reads
    # article_urls, tests/test_deltafetch.py).
    assert site.hits["/world/story.html"] == 2


def test_only_the_same_text_at_the_same_path_is_an_alias(db: Path) -> None:
    text = distinct_text(1)
    items = [
        make_item("https://news.example/world/story.html", text),
        make_item(
            "https://news.example/world/story.html?page=2", text + " A correction was appended."
        ),
        make_item("https://news.example/world/story.html?storylist=world", text),
    ]
    store = store_all(db, items)
    assert rows(db, "SELECT url, duplicate_kind FROM articles ORDER BY id") == [
        ("https://news.example/world/story.html", None),
        ("https://news.example/world/story.html?page=2", "near"),
    ]
    assert store.crawler.stats.get_value("newscrawl/store/aliased") == 1
