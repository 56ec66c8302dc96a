from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from crawling import store_url
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import text
from texts import distinct_text

from newscrawl.extraction.article import Article
from newscrawl.items import ArticleItem
from newscrawl.query.reads import search
from newscrawl.store.schema import make_engine
from pipelines.dedupe import DedupePipeline
from pipelines.store import StorePipeline

if TYPE_CHECKING:
    from pathlib import Path

TEXT = (
    "The harbour authority confirmed on Friday that the old swing bridge will reopen to "
    "traffic next week after eleven months of repairs to its corroded steel frame. "
) * 6


def make_item(url: str, text: str = TEXT, title: str = "Bridge reopens", **kw: Any) -> ArticleItem:
    article = Article(
        url=url,
        canonical_url=kw.pop("canonical_url", url),
        domain="news.example",
        text=text,
        title=title,
        source="example",
        word_count=len(text.split()),
        **kw,
    )
    return ArticleItem(article=article, fetched_at=datetime.now(UTC), aliases=[url])


def pipelines(db: Path | str, **settings: Any) -> tuple[DedupePipeline, StorePipeline]:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_DB": store_url(db), **settings})
    dedupe = build_from_crawler(DedupePipeline, crawler)
    store = build_from_crawler(StorePipeline, crawler)
    store.open_spider()
    return dedupe, store


def store_all(db: Path | str, items: list[ArticleItem], **settings: Any) -> StorePipeline:
    dedupe, store = pipelines(db, **settings)
    for item in items:
        store.process_item(dedupe.process_item(item))
    store.close_spider()
    return store


def rows(db: Path | str, sql: str) -> list[tuple[Any, ...]]:
    engine = make_engine(store_url(db), create=False)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_not_configured_when_disabled() -> None:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_STORE_ENABLED": False})
    with pytest.raises(NotConfigured):
        build_from_crawler(StorePipeline, crawler)


def test_batches_are_written_and_flushed_on_close(store_url: str) -> None:
    db = store_url
    items = [make_item(f"http://news.example/a/{i}", distinct_text(i)) for i in range(7)]
    store = store_all(db, items, NEWSCRAWL_STORE_BATCH_SIZE=3)
    stats = store.crawler.stats.get_stats()
    assert stats["newscrawl/store/inserted"] == 7
    assert stats["newscrawl/store/batches"] == 3  # 3 + 3 + the last 1 flushed at close
    assert rows(db, "SELECT COUNT(*) FROM articles") == [(7,)]


def test_recrawl_updates_instead_of_adding(store_url: str) -> None:
    db = store_url
    store_all(db, [make_item("http://news.example/a/1")])
    store = store_all(
        db, [make_item("http://news.example/a/1", TEXT + " Corrected: the bridge opens Monday.")]
    )
    assert store.crawler.stats.get_value("newscrawl/store/updated") == 1
    assert rows(db, "SELECT COUNT(*) FROM articles") == [(1,)]
    assert rows(db, "SELECT COUNT(*) FROM articles WHERE text LIKE '%Corrected%'") == [(1,)]
    # The full-text index follows the update (SQLite's triggers, PostgreSQL's generated column).
    engine = make_engine(db, create=False, readonly=True)
    hits = list(search(engine, "corrected").rows)
    engine.dispose()
    assert [hit["id"] for hit in hits] == [1]


def test_same_text_elsewhere_is_an_exact_duplicate(store_url: str) -> None:
    db = store_url
    store = store_all(
        db, [make_item("http://news.example/a/1"), make_item("http://other.example/copy")]
    )
    assert store.crawler.stats.get_value("newscrawl/dedupe/exact") == 1
    assert rows(db, "SELECT id, duplicate_of, duplicate_kind FROM articles ORDER BY id") == [
        (1, None, None),
        (2, 1, "exact"),
    ]
    assert rows(db, "SELECT COUNT(*) FROM stories") == [(1,)]
    assert rows(db, "SELECT kind, original_id, article_id FROM duplicate_decisions") == [
        ("exact", 1, 2)
    ]


def test_alias_of_known_article_updates_it(store_url: str) -> None:
    db = store_url
    store_all(db, [make_item("http://news.example/a/1")])
    amp = make_item("http://news.example/a/1.amp", canonical_url="http://news.example/a/1")
    store = store_all(db, [amp])
    assert store.crawler.stats.get_value("newscrawl/store/unchanged") == 1
    assert store.crawler.stats.get_value("newscrawl/dedupe/url") == 1
    assert rows(db, "SELECT COUNT(*) FROM articles") == [(1,)]
    assert rows(db, "SELECT url FROM article_urls ORDER BY url") == [
        ("http://news.example/a/1",),
        ("http://news.example/a/1.amp",),
    ]
    assert rows(db, "SELECT kind, url FROM duplicate_decisions") == [
        ("url", "http://news.example/a/1.amp")
    ]


def test_a_failing_item_costs_only_itself(store_url: str) -> None:
    db = store_url
    good = make_item("http://news.example/a/1")
    bad = make_item("http://news.example/a/2", distinct_text(2))
    # A naive datetime is refused by the UTC column: a write error inside the batch.
    bad.fetched_at = datetime(2024, 1, 1)
    store = store_all(db, [good, bad])
    stats = store.crawler.stats.get_stats()
    assert stats["newscrawl/store/inserted"] == 1
    assert stats["newscrawl/store/failed"] == 1
    assert rows(db, "SELECT url FROM articles") == [("http://news.example/a/1",)]


def test_a_variant_page_does_not_replace_the_canonical_text(store_url: str) -> None:
    db = store_url
    store_all(db, [make_item("http://news.example/a/1")])
    amp = make_item(
        "http://news.example/a/1.amp",
        TEXT + " AMP rendering adds this line.",
        canonical_url="http://news.example/a/1",
    )
    store = store_all(db, [amp])
    assert store.crawler.stats.get_value("newscrawl/store/unchanged") == 1
    assert rows(db, "SELECT COUNT(*) FROM articles WHERE text LIKE '%AMP rendering%'") == [(0,)]


def test_refetching_the_page_it_came_from_refreshes_the_text(store_url: str) -> None:
    db = store_url
    first = make_item("http://news.example/a/1?edition=uk", canonical_url="http://news.example/a/1")
    store_all(db, [first])
    again = make_item(
        "http://news.example/a/1?edition=uk",
        TEXT + " Correction appended.",
        canonical_url="http://news.example/a/1",
    )
    store = store_all(db, [again])
    assert store.crawler.stats.get_value("newscrawl/store/updated") == 1
    assert rows(db, "SELECT COUNT(*) FROM articles WHERE text LIKE '%Correction appended%'") == [
        (1,)
    ]
