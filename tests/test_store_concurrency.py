"""Two crawler processes writing one store: every story has exactly one original."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from texts import distinct_text

from newscrawl.extraction.article import Article
from newscrawl.items import ArticleItem
from pipelines.dedupe import DedupePipeline
from pipelines.store import StorePipeline

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier
    from pathlib import Path

STORIES = 15


def writer(db: str, site: str, barrier: Barrier, queue: Any) -> None:
    crawler = get_crawler(
        settings_dict={"NEWSCRAWL_DB": f"sqlite:///{db}", "NEWSCRAWL_STORE_BATCH_SIZE": 1}
    )
    dedupe = build_from_crawler(DedupePipeline, crawler)
    store = build_from_crawler(StorePipeline, crawler)
    store.open_spider()
    barrier.wait()
    for number in range(STORIES):
        url = f"http://{site}/story/{number}"
        article = Article(url=url, canonical_url=url, domain=site, text=distinct_text(number))
        store.process_item(
            dedupe.process_item(ArticleItem(article=article, fetched_at=datetime.now(UTC)))
        )
    store.close_spider()
    queue.put(crawler.stats.get_stats())


def test_concurrent_writers_agree_on_originals(tmp_path: Path) -> None:
    db = str(tmp_path / "news.db")
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=writer, args=(db, site, barrier, queue))
        for site in ("one.example", "two.example")
    ]
    for process in processes:
        process.start()
    stats = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert not any(s.get("newscrawl/store/failed") for s in stats)
    with sqlite3.connect(db) as conn:
        originals = conn.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
        copies = conn.execute(
            "SELECT COUNT(*) FROM articles WHERE duplicate_kind = 'exact'"
        ).fetchone()[0]
    assert (originals, copies) == (STORIES, STORIES)
