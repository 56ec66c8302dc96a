"""`scrapy crawl news`: every source of a sources file; and every way to one article."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawling import run_crawl, site_articles

from newscrawl.demo.outlets import demo_sources_toml

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer


def test_sources_file_crawls_each_outlet_under_its_name(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(demo_sources_toml(sites))
    result = run_crawl("news", db, sources=str(sources))
    assert result.returncode == 0, result.log
    counts = {
        r["source"]: r["n"]
        for r in result.rows("SELECT source, COUNT(*) AS n FROM articles GROUP BY source")
    }
    assert counts == {
        "gazette": len(site_articles(manifest, "gazette")),
        "courier": len(site_articles(manifest, "courier")),
    }
    only = run_crawl("news", tmp_path / "only.db", sources=str(sources), only="courier")
    assert {r["source"] for r in only.rows("SELECT source FROM articles")} == {"courier"}


def test_feed_sitemap_and_links_lead_to_one_stored_article(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    gazette = sites["gazette"]
    articles = site_articles(manifest, "gazette")
    first = run_crawl("feed", db, url=gazette.url("/feed.xml"), refresh="1")
    second = run_crawl("sitemap", db, url=gazette.url("/robots.txt"), refresh="1")
    third = run_crawl("site", db, url=gazette.url("/"), refresh="1")
    assert first.stats["newscrawl/store/inserted"] == len(articles)
    assert second.stats.get("newscrawl/store/inserted", 0) == 0
    assert third.stats.get("newscrawl/store/inserted", 0) == 0
    rows = third.rows("SELECT url, COUNT(*) AS n FROM articles GROUP BY url")
    assert sorted(r["url"] for r in rows) == sorted(gazette.url(p) for p in articles)
    assert {r["n"] for r in rows} == {1}


def test_recrawl_is_idempotent(sites: dict[str, SiteServer], db: Path) -> None:
    courier = sites["courier"]
    first = run_crawl("feed", db, url=courier.url("/feeds/news.rss"))
    before = first.rows("SELECT id, url, text, first_seen_at FROM articles ORDER BY id")
    again = run_crawl("feed", db, url=courier.url("/feeds/news.rss"), refresh="1")
    after = again.rows("SELECT id, url, text, first_seen_at FROM articles ORDER BY id")
    assert before == after
    assert again.stats["newscrawl/store/unchanged"] == len(before)
    assert again.rows("SELECT COUNT(*) AS n FROM articles_fts") == [{"n": len(before)}]
