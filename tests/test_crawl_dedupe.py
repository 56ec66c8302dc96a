"""Dedupe in real crawls: `scrapy crawl` child processes against the demo sites on 127.0.0.1.

Each crawl is its own process, so every test that crawls twice into one database also
checks that the URL store and the near-duplicate index survive a restart.
"""

from __future__ import annotations

import shutil
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
from crawling import CrawlResult, run_crawl, site_articles
from sites import redirect_route
from sqlalchemy import select

from newscrawl.crawl.urls import normalize_url
from newscrawl.dedupe.index import NearDuplicateIndex
from newscrawl.store.engine import make_engine, sqlite_path
from newscrawl.store.schema import LshBucketRow

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer

# The project's settings, with the incremental filter explicitly on.
DELTAFETCH = {"NEWSCRAWL_DELTAFETCH_ENABLED": "1"}


def crawl(spider: str, db: Path | str, **arguments: str) -> Any:
    result = run_crawl(spider, db, settings=DELTAFETCH, **arguments)
    assert result.returncode == 0, result.log[-3000:]
    return result


@pytest.fixture(scope="module")
def two_outlets(demo_sites: dict[str, SiteServer], module_store_url: str) -> CrawlResult:
    """The Gazette's feed, then the Courier's sitemap, crawled into one store (two processes)."""
    db = module_store_url
    crawl("feed", db, url=demo_sites["gazette"].url("/feed.xml"))
    return crawl("sitemap", db, url=demo_sites["courier"].url("/robots.txt"))


def article_hits(server: SiteServer, paths: list[str]) -> dict[str, int]:
    return {path: server.hits[path] for path in paths}


def test_tracking_link_and_feed_entry_fetched_once_and_stored_once(
    sites: dict[str, SiteServer], manifest: dict[str, Any], store_url: str, tmp_path: Path
) -> None:
    db = store_url
    gazette = sites["gazette"]
    link = manifest["sites"]["gazette"]["tracking_link"]
    path = link["path"]
    todo = tmp_path / "todo.txt"
    # One run reaching the page three ways: the home page's tracking link, the feed's plain
    # link, and a link with a fragment.
    todo.write_text(f"{gazette.url(link['href'])}\n{gazette.url(path)}\n{gazette.url(path)}#top\n")
    result = crawl("urls", db, file=str(todo))
    assert gazette.hits[path] == 1
    rows = result.rows("SELECT id, url FROM articles")
    assert [r["url"] for r in rows] == [gazette.url(path)]

    # A later feed crawl lists the same page without tracking: not fetched, not stored again.
    gazette.hits.reset()
    again = crawl("feed", db, url=gazette.url("/feed.xml"))
    assert gazette.hits[path] == 0
    assert again.stats["newscrawl/deltafetch/skipped"] == 1
    assert len(again.rows("SELECT id FROM articles WHERE url = ?", gazette.url(path))) == 1


def test_second_crawl_downloads_no_article_page_again(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    gazette = sites["gazette"]
    paths = list(site_articles(manifest, "gazette"))
    first = crawl("feed", db, url=gazette.url("/feed.xml"))
    assert first.stats["newscrawl/store/inserted"] == len(paths)
    assert article_hits(gazette, paths) == dict.fromkeys(paths, 1)

    gazette.hits.reset()
    second = crawl("feed", db, url=gazette.url("/feed.xml"))
    assert gazette.hits["/feed.xml"] == 1  # discovery runs every time
    assert article_hits(gazette, paths) == dict.fromkeys(paths, 0)
    assert second.stats["newscrawl/deltafetch/checked"] == len(paths)
    assert second.stats["newscrawl/deltafetch/skipped"] == len(paths)

    # The sitemap and the home page lead to the same pages: still nothing fetched.
    gazette.hits.reset()
    crawl("sitemap", db, url=gazette.url("/robots.txt"))
    crawl("site", db, url=gazette.url("/"))
    assert article_hits(gazette, paths) == dict.fromkeys(paths, 0)

    # -a refresh=1 asks for everything again.
    gazette.hits.reset()
    refreshed = crawl("feed", db, url=gazette.url("/feed.xml"), refresh="1")
    assert article_hits(gazette, paths) == dict.fromkeys(paths, 1)
    assert refreshed.stats.get("newscrawl/deltafetch/skipped", 0) == 0
    assert len(refreshed.rows("SELECT id FROM articles")) == len(paths)


def test_syndicated_copy_on_a_second_site_is_linked_to_the_original(
    sites: dict[str, SiteServer], manifest: dict[str, Any], two_outlets: CrawlResult
) -> None:
    result = two_outlets
    syndicated = manifest["syndicated"][0]
    original_url = sites[syndicated["original"]["site"]].url(syndicated["original"]["path"])
    copy_url = sites[syndicated["copy"]["site"]].url(syndicated["copy"]["path"])

    by_url = {r["url"]: r for r in result.rows("SELECT * FROM articles")}
    original, copy = by_url[original_url], by_url[copy_url]
    assert original["duplicate_of"] is None
    assert copy["duplicate_of"] == original["id"]
    assert copy["duplicate_kind"] == "near"
    assert NearDuplicateIndex().threshold <= copy["duplicate_similarity"] < 1.0
    assert result.stats["newscrawl/dedupe/near"] == 1

    decisions = result.rows("SELECT * FROM duplicate_decisions")
    assert [(d["url"], d["article_id"], d["original_id"], d["kind"]) for d in decisions] == [
        (copy_url, copy["id"], original["id"], "near")
    ]
    assert decisions[0]["similarity"] == copy["duplicate_similarity"]

    # Analysts: the story and every copy with its source, through the story_copies view.
    copies = result.rows(
        "SELECT source, url, kind FROM story_copies WHERE story_id = ? ORDER BY article_id",
        original["id"],
    )
    assert copies == [
        {"source": original["source"], "url": original_url, "kind": "original"},
        {"source": copy["source"], "url": copy_url, "kind": "near"},
    ]
    stories = {r["url"] for r in result.rows("SELECT url FROM stories")}
    assert original_url in stories
    assert copy_url not in stories


def test_different_stories_are_all_kept_as_originals(
    sites: dict[str, SiteServer], manifest: dict[str, Any], two_outlets: CrawlResult
) -> None:
    by_url = {r["url"]: r for r in two_outlets.rows("SELECT url, duplicate_of FROM articles")}
    pairs = manifest["same_event"]
    # Two storm articles in one site template, and two outlets' pieces on the same talks.
    assert {p["note"] for p in pairs} >= {"same site, two different articles about one storm"}
    for pair in pairs:
        for article in pair["articles"]:
            assert by_url[sites[article["site"]].url(article["path"])]["duplicate_of"] is None
    copies = {manifest["syndicated"][0]["copy"]["path"]}
    expected = {
        sites[site].url(path)
        for site in ("gazette", "courier")
        for path in site_articles(manifest, site)
        if path not in copies
    }
    assert {url for url, row in by_url.items() if row["duplicate_of"] is None} == expected


# It copies the store's files, so it is about SQLite alone.
@pytest.mark.parametrize("module_store_url", ["sqlite"], indirect=True)
def test_index_is_rebuilt_identically_after_a_restart(
    sites: dict[str, SiteServer], manifest: dict[str, Any], two_outlets: CrawlResult, db: Path
) -> None:
    crawled = sqlite_path(str(two_outlets.db))
    assert crawled is not None
    for suffix in ("", "-wal", "-shm"):  # this test writes: work on a copy of the store
        source = crawled.with_name(crawled.name + suffix)
        if source.exists():
            shutil.copy(source, db.with_name(db.name + suffix))
    index = NearDuplicateIndex()
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        written = set(conn.execute(select(LshBucketRow.band, LshBucketRow.bucket,
                                          LshBucketRow.article_id)).all())  # fmt: skip
        originals = index.rebuild(conn)
        rebuilt = set(conn.execute(select(LshBucketRow.band, LshBucketRow.bucket,
                                          LshBucketRow.article_id)).all())  # fmt: skip
    engine.dispose()
    stored = len(site_articles(manifest, "gazette")) + len(site_articles(manifest, "courier"))
    assert originals == stored - 1  # every article but the syndicated copy
    assert len(written) == originals * index.bands
    # What two crawl processes wrote incrementally is what the stored texts give from scratch.
    assert rebuilt == written

    # And the rebuilt index still links a new copy: crawl the courier again with refresh=1.
    result = crawl("sitemap", db, url=sites["courier"].url("/robots.txt"), refresh="1")
    with sqlite3.connect(db) as conn:
        kinds = conn.execute("SELECT duplicate_kind FROM articles WHERE duplicate_of IS NOT NULL")
        assert [k for (k,) in kinds] == ["near"]
    assert result.returncode == 0


def test_redirect_and_amp_variant_resolve_to_one_article(
    sites: dict[str, SiteServer], manifest: dict[str, Any], store_url: str, tmp_path: Path
) -> None:
    db = store_url
    gazette = sites["gazette"]
    amp = manifest["sites"]["gazette"]["amp"]
    otters = "/2024/05/12/otters-return-to-marren-estuary.html"
    old = "/archive/otters-old-address"
    gazette.routes[old] = redirect_route(otters)
    try:
        todo = tmp_path / "todo.txt"
        todo.write_text(f"{gazette.url(old)}\n{gazette.url(amp['canonical'])}\n")
        first = crawl("urls", db, file=str(todo))
        # The AMP page's canonical is a stored article: no new row, a `url` decision instead.
        amp_todo = tmp_path / "amp.txt"
        amp_todo.write_text(f"{gazette.url(amp['path'])}\n")
        second = crawl("urls", db, file=str(amp_todo))

        urls = {r["url"] for r in second.rows("SELECT url FROM articles")}
        assert urls == {gazette.url(otters), gazette.url(amp["canonical"])}
        aliases = {r["url"] for r in second.rows("SELECT url FROM article_urls")}
        assert {normalize_url(gazette.url(old)), normalize_url(gazette.url(amp["path"]))} <= aliases
        decisions = second.rows("SELECT url, kind, article_id FROM duplicate_decisions")
        assert decisions == [
            {"url": normalize_url(gazette.url(amp["path"])), "kind": "url", "article_id": None}
        ]
        assert first.stats["newscrawl/store/inserted"] == 2

        # Next time, the old address and the AMP address are known: nothing is downloaded.
        gazette.hits.reset()
        todo.write_text(f"{gazette.url(old)}\n{gazette.url(amp['path'])}\n")
        third = crawl("urls", db, file=str(todo))
        assert gazette.hits.matching(lambda p: p != "/robots.txt") == {}
        assert third.stats["newscrawl/deltafetch/skipped"] == 2
    finally:
        del gazette.routes[old]
