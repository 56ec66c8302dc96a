from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import event, func, select
from sqlalchemy.pool import Pool
from store_urls import as_url, rows
from texts import distinct_text

from newscrawl.extraction.article import Article
from newscrawl.items import ArticleItem
from newscrawl.store.schema import ArticleRow
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


def pipelines(store: str | Path, **settings: Any) -> tuple[DedupePipeline, StorePipeline]:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_DB": as_url(store), **settings})
    dedupe = build_from_crawler(DedupePipeline, crawler)
    store = build_from_crawler(StorePipeline, crawler)
    store.open_spider()
    return dedupe, store


def store_all(store_at: str | Path, items: list[ArticleItem], **settings: Any) -> StorePipeline:
    """Every item through the dedupe and store pipelines into a store (a URL or a file)."""
    dedupe, store = pipelines(store_at, **settings)

    async def crawl() -> None:  # as Scrapy runs them: on an event loop, the store's async
        for item in items:
            await store.process_item(dedupe.process_item(item))
        await store.close_spider()

    asyncio.run(crawl())
    store.store.close()  # what the crawl's engine_stopped does
    return store


def test_not_configured_when_disabled(db: Path) -> None:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_STORE_ENABLED": False})
    with pytest.raises(NotConfigured):
        build_from_crawler(StorePipeline, crawler)


def test_batches_are_written_and_flushed_on_close(store_url: str) -> None:
    items = [make_item(f"http://news.example/a/{i}", distinct_text(i)) for i in range(7)]
    store = store_all(store_url, items, NEWSCRAWL_STORE_BATCH_SIZE=3)
    stats = store.crawler.stats.get_stats()
    assert stats["newscrawl/store/inserted"] == 7
    assert stats["newscrawl/store/batches"] == 3  # 3 + 3 + the last 1 flushed at close
    assert rows(store_url, "SELECT COUNT(*) FROM articles") == [(7,)]


def test_batches_are_written_off_the_event_loop_in_order(store_url: str) -> None:
    # Written on the event loop, a batch stalled downloads and extraction for as long as it
    # took; the store's own thread writes it instead, one batch after another.
    writers: set[str] = set()

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO articles "):
            writers.add(threading.current_thread().name)

    dedupe, store = pipelines(store_url, NEWSCRAWL_STORE_BATCH_SIZE=4)
    event.listen(store.engine, "before_cursor_execute", seen)
    urls = [f"http://news.example/a/{i}" for i in range(10)]

    async def crawl() -> None:
        for number, url in enumerate(urls):
            await store.process_item(dedupe.process_item(make_item(url, distinct_text(number))))
        await store.close_spider()

    asyncio.run(crawl())
    store.store.close()
    assert writers
    assert all(name.startswith("newscrawl-store") for name in writers), writers
    assert store.crawler.stats.get_value("newscrawl/store/batches") == 3  # 4 + 4 + 2 at close
    stored = [row[0] for row in rows(store_url, "SELECT url FROM articles ORDER BY id")]
    assert stored == urls  # committed in the order the items came


def test_the_store_thread_and_the_event_loop_never_share_a_connection(store_url: str) -> None:
    # A connection's page cache fills with what its users read. Passed between the writer
    # thread and the event loop's lookups (the incremental filter's), every connection came
    # to cache both, and the crawl's memory grew with the store (docs/performance.md).
    users: dict[int, set[str]] = {}

    def checked_out(dbapi_connection: Any, *args: Any) -> None:
        users.setdefault(id(dbapi_connection), set()).add(threading.current_thread().name)

    dedupe, store = pipelines(store_url, NEWSCRAWL_STORE_BATCH_SIZE=2)
    event.listen(Pool, "checkout", checked_out)

    async def crawl() -> None:
        for number in range(20):
            url = f"http://news.example/a/{number}"
            await store.process_item(dedupe.process_item(make_item(url, distinct_text(number))))
            with store.store.engine.connect() as conn:  # a lookup, as on every request
                conn.execute(select(func.count()).select_from(ArticleRow)).scalar_one()
            await asyncio.sleep(0.005)  # the writer's batch runs meanwhile
        await store.close_spider()

    try:
        asyncio.run(crawl())
    finally:
        event.remove(Pool, "checkout", checked_out)
        store.store.close()
    assert store.crawler.stats.get_value("newscrawl/store/inserted") == 20
    threads = set().union(*users.values())
    assert any(name.startswith("newscrawl-store") for name in threads), users
    assert all(len(names) == 1 for names in users.values()), users


def test_recrawl_updates_instead_of_adding(store_url: str) -> None:
    store_all(store_url, [make_item("http://news.example/a/1")])
    store = store_all(
        store_url,
        [make_item("http://news.example/a/1", TEXT + " Corrected: the bridge opens Monday.")],
    )
    assert store.crawler.stats.get_value("newscrawl/store/updated") == 1
    assert rows(store_url, "SELECT COUNT(*) FROM articles") == [(1,)]
    assert rows(store_url, "SELECT COUNT(*) FROM articles WHERE text LIKE '%Corrected%'") == [(1,)]
    if store_url.startswith("sqlite"):
        # The full-text index follows the update through the triggers (SQLite's FTS5).
        fts = "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'corrected'"
        assert rows(store_url, fts) == [(1,)]


def test_same_text_elsewhere_is_an_exact_duplicate(store_url: str) -> None:
    store = store_all(
        store_url, [make_item("http://news.example/a/1"), make_item("http://other.example/copy")]
    )
    assert store.crawler.stats.get_value("newscrawl/dedupe/exact") == 1
    assert rows(store_url, "SELECT id, duplicate_of, duplicate_kind FROM articles ORDER BY id") == [
        (1, None, None),
        (2, 1, "exact"),
    ]
    assert rows(store_url, "SELECT COUNT(*) FROM stories") == [(1,)]
    assert rows(store_url, "SELECT kind, original_id, article_id FROM duplicate_decisions") == [
        ("exact", 1, 2)
    ]


def test_alias_of_known_article_updates_it(store_url: str) -> None:
    store_all(store_url, [make_item("http://news.example/a/1")])
    amp = make_item("http://news.example/a/1.amp", canonical_url="http://news.example/a/1")
    store = store_all(store_url, [amp])
    assert store.crawler.stats.get_value("newscrawl/store/unchanged") == 1
    assert store.crawler.stats.get_value("newscrawl/dedupe/url") == 1
    assert rows(store_url, "SELECT COUNT(*) FROM articles") == [(1,)]
    assert rows(store_url, "SELECT url FROM article_urls ORDER BY url") == [
        ("http://news.example/a/1",),
        ("http://news.example/a/1.amp",),
    ]
    assert rows(store_url, "SELECT kind, url FROM duplicate_decisions") == [
        ("url", "http://news.example/a/1.amp")
    ]


def test_a_failing_item_costs_only_itself(store_url: str) -> None:
    good = make_item("http://news.example/a/1")
    bad = make_item("http://news.example/a/2", distinct_text(2))
    # A naive datetime is refused by the UTC column: a write error inside the batch.
    bad.fetched_at = datetime(2024, 1, 1)
    store = store_all(store_url, [good, bad])
    stats = store.crawler.stats.get_stats()
    assert stats["newscrawl/store/inserted"] == 1
    assert stats["newscrawl/store/failed"] == 1
    assert rows(store_url, "SELECT url FROM articles") == [("http://news.example/a/1",)]


def test_a_variant_page_does_not_replace_the_canonical_text(store_url: str) -> None:
    store_all(store_url, [make_item("http://news.example/a/1")])
    amp = make_item(
        "http://news.example/a/1.amp",
        TEXT + " AMP rendering adds this line.",
        canonical_url="http://news.example/a/1",
    )
    store = store_all(store_url, [amp])
    assert store.crawler.stats.get_value("newscrawl/store/unchanged") == 1
    assert rows(store_url, "SELECT COUNT(*) FROM articles WHERE text LIKE '%AMP rendering%'") == [
        (0,)
    ]


def test_refetching_the_page_it_came_from_refreshes_the_text(store_url: str) -> None:
    first = make_item("http://news.example/a/1?edition=uk", canonical_url="http://news.example/a/1")
    store_all(store_url, [first])
    again = make_item(
        "http://news.example/a/1?edition=uk",
        TEXT + " Correction appended.",
        canonical_url="http://news.example/a/1",
    )
    store = store_all(store_url, [again])
    assert store.crawler.stats.get_value("newscrawl/store/updated") == 1
    assert rows(
        store_url, "SELECT COUNT(*) FROM articles WHERE text LIKE '%Correction appended%'"
    ) == [(1,)]


def test_a_batch_retried_one_by_one_counts_each_article_once(store_url: str) -> None:
    original = make_item("http://news.example/a/1")
    copy = make_item("http://other.example/copy")
    bad = make_item("http://news.example/a/2", distinct_text(2))
    bad.fetched_at = datetime(2024, 1, 1)  # refused by the UTC column: the batch fails
    for item in (original, copy, bad):
        item.page = b"<html><body>the page as fetched</body></html>"
    store = store_all(store_url, [original, copy, bad], NEWSCRAWL_STORE_BATCH_SIZE=3)
    stats = store.crawler.stats.get_stats()
    # The copy was decided in the failed batch and again alone: one decision, counted once.
    assert stats["newscrawl/dedupe/exact"] == 1
    assert stats["newscrawl/store/inserted"] == 1
    assert stats["newscrawl/store/inserted_duplicate"] == 1
    assert stats["newscrawl/store/failed"] == 1
    assert stats["newscrawl/store/pages_kept"] == 2
    # By address: PostgreSQL does not take back the ids the failed batch drew.
    decisions = (
        "SELECT d.kind, o.url, c.url FROM duplicate_decisions d "
        "JOIN articles o ON o.id = d.original_id JOIN articles c ON c.id = d.article_id"
    )
    assert rows(store_url, decisions) == [
        ("exact", "http://news.example/a/1", "http://other.example/copy")
    ]


def test_dedupe_off_stores_every_article_as_its_own(store_url: str) -> None:
    story = "http://news.example/story.html"
    items = [
        make_item(story),
        make_item("http://other.example/copy"),  # the same text elsewhere
        make_item(f"{story}?storylist=world"),  # the same text at another query string
        make_item("http://third.example/edit", TEXT + " One more line from the wire."),
    ]
    store = store_all(store_url, items, NEWSCRAWL_DEDUPE_ENABLED=False)
    stats = store.crawler.stats.get_stats()
    assert stats["newscrawl/store/inserted"] == 4
    assert not any(key.startswith("newscrawl/dedupe/") for key in stats)
    assert rows(store_url, "SELECT COUNT(*), COUNT(duplicate_of) FROM articles") == [(4, 0)]
    assert rows(store_url, "SELECT COUNT(*) FROM duplicate_decisions") == [(0,)]
    assert rows(store_url, "SELECT COUNT(*) FROM lsh_buckets") == [(0,)]
    # Addresses still identify articles: the same address again updates its row.
    again = store_all(store_url, [make_item(story)], NEWSCRAWL_DEDUPE_ENABLED=False)
    assert again.crawler.stats.get_value("newscrawl/store/unchanged") == 1
    assert rows(store_url, "SELECT COUNT(*) FROM articles") == [(4,)]


def test_an_item_without_fingerprint_is_refused_and_counted(store_url: str, caplog: Any) -> None:
    _, store = pipelines(store_url)
    # the dedupe stage skipped
    asyncio.run(store.process_item(make_item("http://news.example/a/1")))
    asyncio.run(store.close_spider())
    store.store.close()
    assert store.crawler.stats.get_value("newscrawl/store/failed") == 1
    assert "has no fingerprint" in caplog.text
    assert rows(store_url, "SELECT COUNT(*) FROM articles") == [(0,)]
