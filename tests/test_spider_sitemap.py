"""`scrapy crawl sitemap`: robots.txt, sitemap index, gzipped Google News sitemap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawling import assert_clean_articles, run_crawl

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer


def test_robots_txt_leads_through_the_index_to_every_article(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    gazette = sites["gazette"]
    result = run_crawl("sitemap", db, url=gazette.url("/robots.txt"))
    assert result.returncode == 0, result.log
    maps = manifest["sites"]["gazette"]["sitemaps"]
    paths = sorted(set(maps["articles"]["articles"]) | set(maps["news"]["articles"]))
    assert_clean_articles(result, manifest, "gazette", gazette, paths)
    # the index and the sitemaps it lists (robots.txt is read, not parsed as a sitemap)
    assert result.stats["newscrawl/sitemaps/parsed"] == 1 + len(maps["index"]["sitemaps"])
    assert gazette.hits["/sitemap-news.xml.gz"] == 1
    # Listed in two sitemaps, fetched once.
    assert all(gazette.hits[p] == 1 for p in paths)
