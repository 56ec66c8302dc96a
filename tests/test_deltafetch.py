"""The incremental filter, built through Scrapy's factory, against a real SQLite store."""

from __future__ import annotations

import logging

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import insert, text

from newscrawl.config import is_truthy
from newscrawl.crawl.deltafetch import DeltaFetch
from newscrawl.crawl.urls import normalize_url
from newscrawl.store.engine import make_engine
from newscrawl.store.schema import ArticleRow, ArticleUrlRow, utcnow

STORED = "https://gazette.example.com/2024/05/bridge-closes"


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'news.db'}"
    engine = make_engine(url)
    now = utcnow()
    with engine.begin() as conn:
        article_id = conn.execute(
            insert(ArticleRow).values(
                url=STORED, domain="example.com", text="body", word_count=1,
                content_hash="h", first_seen_at=now, last_seen_at=now,
            )
        ).inserted_primary_key[0]  # fmt: skip
        conn.execute(
            insert(ArticleUrlRow).values(url=STORED, article_id=article_id, first_seen_at=now)
        )
    engine.dispose()
    return url


def open_mw(db_url, **spider_attrs):
    crawler = get_crawler(Spider, {"NEWSCRAWL_DELTAFETCH_ENABLED": True, "NEWSCRAWL_DB": db_url})
    mw = build_from_crawler(DeltaFetch, crawler)
    spider = Spider(name="test")
    for name, value in spider_attrs.items():
        setattr(spider, name, value)
    mw.spider_opened(spider)
    return mw, crawler, spider


def article(url):
    return Request(url, meta={"newscrawl_article": True})


def stat(crawler, key):
    return crawler.stats.get_value(f"newscrawl/deltafetch/{key}", 0)


def test_not_configured_when_disabled():
    with pytest.raises(NotConfigured, match="NEWSCRAWL_DELTAFETCH_ENABLED"):
        build_from_crawler(DeltaFetch, get_crawler(Spider, {"NEWSCRAWL_DELTAFETCH_ENABLED": False}))


@pytest.mark.parametrize(
    "url",
    [
        STORED,
        f"{STORED}/?utm_source=rss&utm_medium=feed",
        f"{STORED}#comments",
        "https://Gazette.Example.com:443/2024/05/bridge-closes/index.html",
    ],
)
def test_stored_article_is_not_downloaded_again(db_url, url):
    mw, crawler, spider = open_mw(db_url)
    with pytest.raises(IgnoreRequest, match="already stored"):
        mw.process_request(article(url))
    assert stat(crawler, "checked") == 1
    assert stat(crawler, "skipped") == 1
    mw.spider_closed(spider)


def test_new_article_is_fetched(db_url):
    mw, crawler, spider = open_mw(db_url)
    assert mw.process_request(article("https://gazette.example.com/2024/05/new-story")) is None
    assert stat(crawler, "checked") == 1
    assert stat(crawler, "skipped") == 0
    mw.spider_closed(spider)


def test_listings_feeds_and_sitemaps_are_never_filtered(db_url):
    mw, crawler, spider = open_mw(db_url)
    # Same address, but not marked as an article page: discovery must run every time.
    assert mw.process_request(Request(STORED)) is None
    assert stat(crawler, "checked") == 0
    mw.spider_closed(spider)


@pytest.mark.parametrize("refresh", ["1", "true", "yes", True])
def test_refresh_fetches_stored_articles(db_url, refresh):
    mw, crawler, spider = open_mw(db_url, refresh=refresh)
    assert mw.process_request(article(STORED)) is None
    assert stat(crawler, "skipped") == 0
    mw.spider_closed(spider)


@pytest.mark.parametrize("refresh", ["0", "false", "", "no", False, None])
def test_refresh_zero_still_filters(db_url, refresh):
    mw, _crawler, spider = open_mw(db_url, refresh=refresh)
    with pytest.raises(IgnoreRequest):
        mw.process_request(article(STORED))
    mw.spider_closed(spider)


def test_each_lookup_sees_what_was_stored_since_the_last(db_url):
    """The middleware holds one connection for the crawl: it must not read from an old
    snapshot of the store while the crawl (or another process) writes to it."""
    mw, crawler, spider = open_mw(db_url)
    later = "https://gazette.example.com/2024/05/ferry-returns"
    assert mw.process_request(article(later)) is None
    writer = make_engine(db_url)
    now = utcnow()
    with writer.begin() as conn:  # another connection, as the store's writer thread uses
        conn.execute(
            insert(ArticleUrlRow).values(url=normalize_url(later), article_id=1, first_seen_at=now)
        )
    writer.dispose()
    with pytest.raises(IgnoreRequest):
        mw.process_request(article(later))
    assert (stat(crawler, "checked"), stat(crawler, "skipped")) == (2, 1)
    mw.spider_closed(spider)


def test_unreadable_store_is_logged_counted_and_the_page_fetched(db_url, caplog):
    mw, crawler, spider = open_mw(db_url)
    with mw.engine.begin() as conn:
        conn.execute(text("DROP TABLE article_urls"))
    with caplog.at_level(logging.WARNING, logger="newscrawl.crawl.deltafetch"):
        assert mw.process_request(article(STORED)) is None
    assert stat(crawler, "error") == 1
    assert caplog.record_tuples == [
        (
            "newscrawl.crawl.deltafetch",
            logging.WARNING,
            f"Could not check {normalize_url(STORED)} against the store, fetching it",
        )
    ]
    # Readable again: the next lookup works, on a connection of its own.
    with mw.engine.begin() as conn:
        conn.execute(text("CREATE TABLE article_urls (url TEXT PRIMARY KEY, article_id INT)"))
        conn.execute(text("INSERT INTO article_urls VALUES (:url, 1)"), {"url": STORED})
    with pytest.raises(IgnoreRequest):
        mw.process_request(article(STORED))
    mw.spider_closed(spider)


def test_first_crawl_on_a_new_database(tmp_path):
    mw, crawler, spider = open_mw(f"sqlite:///{tmp_path / 'fresh' / 'news.db'}")
    assert mw.process_request(article(STORED)) is None
    assert stat(crawler, "checked") == 1
    mw.spider_closed(spider)
    assert mw.engine is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("yes", True), ("0", False), (" False ", False), ("", False), (None, False)],
)
def test_is_truthy(value, expected):
    assert is_truthy(value) is expected
