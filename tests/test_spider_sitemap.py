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
    # robots.txt, the index, the urlset and the gzipped news sitemap
    assert result.stats["newscrawl/sitemaps/parsed"] == 3
    assert gazette.hits["/sitemap-news.xml.gz"] == 1
    # Listed in two sitemaps, fetched once.
    assert all(gazette.hits[p] == 1 for p in paths)


def test_google_news_sitemap_directly(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    gazette = sites["gazette"]
    result = run_crawl("sitemap", db, url=gazette.url("/sitemap-news.xml.gz"))
    paths = manifest["sites"]["gazette"]["sitemaps"]["news"]["articles"]
    assert_clean_articles(result, manifest, "gazette", gazette, paths)


def test_since_days_skips_old_entries(sites: dict[str, SiteServer], db: Path) -> None:
    gazette = sites["gazette"]
    # The sample news is from May 2024: nothing dated is within the last day; the one entry
    # without a lastmod cannot be judged old, so it is fetched.
    result = run_crawl("sitemap", db, url=gazette.url("/sitemap-articles.xml"), since_days="1")
    assert result.stats["newscrawl/sitemaps/entries_too_old"] == 7
    assert result.stats["newscrawl/pages/fetched"] == 1
    assert result.rows("SELECT url FROM articles") == [
        {"url": gazette.url("/science/gull-rock-seabird-count.html")}
    ]


def test_bad_since_days_is_a_clear_error(db: Path) -> None:
    result = run_crawl("sitemap", db, url="http://127.0.0.1:9/s.xml", since_days="soon")
    assert "-a since_days= takes a whole number >= 0, not 'soon'" in result.log
    assert "Traceback" not in result.log
