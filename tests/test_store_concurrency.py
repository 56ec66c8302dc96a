"""Two crawler processes writing one store: every story has exactly one original.

On SQLite and on PostgreSQL (the ``store_url`` fixture in tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import text
from store_urls import rows
from texts import distinct_text

from newscrawl.extraction.article import Article
from newscrawl.items import ArticleItem
from newscrawl.store.backends import write_transaction
from newscrawl.store.engine import make_engine
from pipelines.dedupe import DedupePipeline
from pipelines.store import StorePipeline

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier
    from pathlib import Path

STORIES = 15


def writer(url: str, site: str, barrier: Barrier, queue: Any) -> None:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_DB": url, "NEWSCRAWL_STORE_BATCH_SIZE": 1})
    dedupe = build_from_crawler(DedupePipeline, crawler)
    store = build_from_crawler(StorePipeline, crawler)
    store.open_spider()
    barrier.wait()

    async def crawl() -> None:
        for number in range(STORIES):
            url = f"http://{site}/story/{number}"
            article = Article(url=url, canonical_url=url, domain=site, text=distinct_text(number))
            item = ArticleItem(article=article, fetched_at=datetime.now(UTC))
            await store.process_item(dedupe.process_item(item))
        await store.close_spider()

    asyncio.run(crawl())
    store.store.close()
    queue.put(crawler.stats.get_stats())


def test_concurrent_writers_agree_on_originals(store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=writer, args=(store_url, site, barrier, queue))
        for site in ("one.example", "two.example")
    ]
    for process in processes:
        process.start()
    stats = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert not any(s.get("newscrawl/store/failed") for s in stats)
    # Each process stored its own copy of every story: one of the two is the original.
    assert sum(s.get("newscrawl/store/inserted", 0) for s in stats) == STORIES
    assert sum(s.get("newscrawl/dedupe/exact", 0) for s in stats) == STORIES
    assert rows(store_url, "SELECT COUNT(*) FROM stories") == [(STORIES,)]
    assert rows(
        store_url,
        "SELECT duplicate_kind, COUNT(*) FROM articles "
        "WHERE duplicate_of IS NOT NULL GROUP BY duplicate_kind",
    ) == [("exact", STORIES)]
    assert rows(store_url, "SELECT COUNT(*) FROM duplicate_decisions") == [(STORIES,)]


def test_a_writer_waits_for_the_lock_it_needs_to_put_a_store_in_wal_mode(db: Path) -> None:
    # A store restored from a backup (sqlite3's .backup, VACUUM INTO) is in rollback mode;
    # switching it to WAL takes its exclusive lock, and SQLite does not wait for that
    # itself: the writer failed at once with "database is locked" while another held it.
    make_engine(f"sqlite:///{db}").dispose()
    with sqlite3.connect(db) as restored:
        restored.execute("PRAGMA journal_mode=DELETE")
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, holder.execute, ["COMMIT"])
    release.start()
    engine = make_engine(f"sqlite:///{db}", create=False, writer=True, busy_timeout=20)
    try:
        with write_transaction(engine) as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    finally:
        release.join()
        holder.close()
        engine.dispose()
