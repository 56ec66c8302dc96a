"""`scrapy crawl feed` against the sample outlets on 127.0.0.1: RSS 2.0, Atom and RDF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawling import assert_clean_articles, run_crawl, site_articles
from sites import static_route

from newscrawl.store.schema import format_timestamp

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer


def test_rss_feed_stores_every_article_once(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    gazette = sites["gazette"]
    result = run_crawl("feed", db, url=gazette.url("/feed.xml"))
    assert result.returncode == 0, result.log
    paths = manifest["sites"]["gazette"]["feeds"]["rss"]["articles"]
    assert_clean_articles(result, manifest, "gazette", gazette, paths)
    assert result.run["status"] == "finished"
    assert result.stats["newscrawl/store/inserted"] == len(paths)
    assert all(gazette.hits[p] == 1 for p in paths)


def test_broken_feed_and_dead_host_are_counted_not_fatal(
    sites: dict[str, SiteServer], db: Path
) -> None:
    gazette = sites["gazette"]
    gazette.routes["/broken.xml"] = static_route(b"\x00\x01 not xml", content_type="text/xml")
    try:
        result = run_crawl(
            "feed", db, url=f"{gazette.url('/broken.xml')},http://127.0.0.1:9/feed.xml"
        )
    finally:
        del gazette.routes["/broken.xml"]
    # Counted, logged, no traceback; and since every source failed, the run did too.
    assert result.returncode == 1
    assert result.run["status"] == "failed"
    assert "Traceback" not in result.log
    assert result.stats["newscrawl/feeds/invalid"] == 1
    assert result.stats["newscrawl/errors/connection_refused"] == 1
    assert result.stats["newscrawl/failed_sources"] == {
        gazette.url("/broken.xml"): f"not_a_feed {gazette.url('/broken.xml')}",
        "http://127.0.0.1:9/feed.xml": "connection_refused http://127.0.0.1:9/feed.xml",
    }


def test_dates_and_authors_of_feed_articles(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    gazette = sites["gazette"]
    run_crawl("feed", db, url=gazette.url("/rdf.xml"))
    result = run_crawl("feed", db, url=gazette.url("/rdf.xml"), refresh="1")
    expected = site_articles(manifest, "gazette")
    rows = result.rows("SELECT url, author, modified_at, language FROM articles")
    assert len(rows) == len(manifest["sites"]["gazette"]["feeds"]["rdf"]["articles"])
    for row in rows:
        truth = expected[row["url"].removeprefix(gazette.base_url)]
        assert row["author"] == truth["author"]
        assert row["modified_at"] == (truth["modified"] and format_timestamp(truth["modified"]))
        assert row["language"] == "en"


def test_extraction_in_worker_processes_gives_the_same_articles(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    gazette = sites["gazette"]
    result = run_crawl(
        "feed", db, url=gazette.url("/feed.xml"), settings={"NEWSCRAWL_EXTRACT_WORKERS": "2"}
    )
    assert result.returncode == 0, result.log
    paths = manifest["sites"]["gazette"]["feeds"]["rss"]["articles"]
    assert_clean_articles(result, manifest, "gazette", gazette, paths)
