"""`scrapy crawl site`: article pages stored, listing pages only followed, robots obeyed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawling import assert_clean_articles, run_crawl

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer


def test_site_crawl_stores_articles_and_only_follows_listings(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    gazette = sites["gazette"]
    truth = manifest["sites"]["gazette"]
    result = run_crawl("site", db, url=gazette.url("/"))
    assert result.returncode == 0, result.log
    paths = [a["path"] for a in truth["articles"]]
    assert_clean_articles(result, manifest, "gazette", gazette, paths)
    listings = [p["path"] for p in truth["non_articles"]]
    assert all(gazette.hits[p] == 1 for p in listings if p != "/about.html")
    assert result.stats["newscrawl/skipped/not_article"] >= len(listings) - 1
    # robots.txt obeyed; a link with tracking parameters fetched and stored once, without them
    assert gazette.hits[truth["private_page"]] == 0
    assert result.stats["robotstxt/forbidden"] >= 1
    link = truth["tracking_link"]
    assert gazette.hits[link["path"]] == 1
    rows = result.rows("SELECT url FROM articles WHERE url LIKE ?", f"%{link['path']}%")
    assert rows == [{"url": gazette.url(link["path"])}]
