"""Two crawler processes writing one store: every story has exactly one original.

Run on SQLite always, and on PostgreSQL when ``NEWSCRAWL_TEST_POSTGRES_URL`` names a server
to create throwaway databases on (``postgresql+psycopg://user@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from texts import distinct_text

from newscrawl.extraction.article import Article
from newscrawl.items import ArticleItem
from newscrawl.store.migrations import alembic_config
from newscrawl.store.schema import Base
from pipelines.dedupe import DedupePipeline
from pipelines.store import StorePipeline

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.synchronize import Barrier
    from pathlib import Path

STORIES = 15
POSTGRES_URL = os.environ.get("NEWSCRAWL_TEST_POSTGRES_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'news.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("NEWSCRAWL_TEST_POSTGRES_URL is not set: no PostgreSQL server to write to")
    yield from postgres_store(POSTGRES_URL)


def postgres_store(server_url: str) -> Iterator[str]:
    """A fresh database on the server holding the current tables, dropped afterwards."""
    name = f"newscrawl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        # The tables the write path needs, stamped current so the crawl's store opens them
        # as they are.
        Base.metadata.create_all(conn)
        command.stamp(alembic_config(conn), "head")
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def writer(url: str, site: str, barrier: Barrier, queue: Any) -> None:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_DB": url, "NEWSCRAWL_STORE_BATCH_SIZE": 1})
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
    engine = create_engine(store_url)
    with engine.connect() as conn:
        originals = conn.execute(
            text("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NULL")
        ).scalar()
        copies = conn.execute(
            text("SELECT COUNT(*) FROM articles WHERE duplicate_kind = 'exact'")
        ).scalar()
        decisions = conn.execute(text("SELECT COUNT(*) FROM duplicate_decisions")).scalar()
    engine.dispose()
    assert (originals, copies, decisions) == (STORIES, STORIES, STORIES)
