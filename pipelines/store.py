"""Writes articles to the store in batched write transactions, and counts what happened.

Each article goes through the one write path, :class:`newscrawl.dedupe.write.ArticleWriter`,
which decides duplicates as it goes. A batch that fails is retried item by item, so one bad
item costs only itself. Outcomes are counted in the stats once their transaction has
committed, so an article is counted once however many times its batch was tried.

Batches are written on a thread of the pipeline's own, one at a time and in order, while
the crawl goes on: written on the event loop, a batch stopped downloads and left the
extraction workers without pages for as long as it took (a second and more on PostgreSQL,
docs/performance.md). A second full batch waits for the first, so at most two are held.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError

from newscrawl.config import Config
from newscrawl.dedupe.write import FAILED, ArticleWriter, Outcome
from newscrawl.store.backends import write_transaction
from newscrawl.store.engine import store_unavailable
from newscrawl.store.extension import StoreExtension
from pipelines.dedupe import index_from_config

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from sqlalchemy.engine import Engine

    from newscrawl.items import ArticleItem

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(
        self, crawler: Crawler, store: StoreExtension, writer: ArticleWriter, batch_size: int
    ) -> None:
        self.crawler = crawler
        self.store = store
        self.writer = writer
        self.batch_size = max(1, batch_size)
        self.buffer: list[ArticleItem] = []
        self.engine: Engine | None = None
        # One thread: batches commit in the order they were filled, as on the event loop.
        self.thread: ThreadPoolExecutor | None = None
        self.writing: asyncio.Task[None] | None = None  # the batch being written

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = Config.of(crawler)
        if not config.store_enabled:
            raise NotConfigured("NEWSCRAWL_STORE_ENABLED is off")
        writer = ArticleWriter(
            index_from_config(config),
            detect_duplicates=config.dedupe_enabled,
            keep_pages=config.keep_pages,
        )
        return cls(crawler, StoreExtension.of(crawler), writer, config.store_batch_size)

    def open_spider(self) -> None:
        # The thread's own connection, whose page cache holds what the writes touch; shared
        # with the event loop's reads, both connections cached both (1.19x memory at 20,000
        # pages against 2,000, docs/performance.md).
        self.engine = self.store.own_engine()
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="newscrawl-store")

    async def close_spider(self) -> None:
        await self._written()
        while self.buffer:
            self._send(self._take())
            await self._written()
        if self.thread is not None:
            self.thread.shutdown(wait=True)
            self.thread = None

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        if item.fingerprint is None:
            # A wiring mistake (the dedupe pipeline removed or ordered after the store), not
            # bad input: said and counted, and the crawl goes on.
            logger.error("Not storing %s: it has no fingerprint; pipelines.dedupe."
                         "DedupePipeline must run before the store", item.article.url)  # fmt: skip
            self.count([FAILED])
            return item
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            # The item waits while a batch is being written: what is held stays bounded.
            await self._written()
            if len(self.buffer) >= self.batch_size and self.writing is None:
                self._send(self._take())
        return item

    def _take(self) -> list[ArticleItem]:
        batch, self.buffer = self.buffer[: self.batch_size], self.buffer[self.batch_size :]
        return batch

    def _send(self, batch: list[ArticleItem]) -> None:
        """Start writing ``batch`` on the store's thread now; count it when committed."""
        if self.engine is None or self.thread is None:
            return
        loop = asyncio.get_running_loop()
        written = loop.run_in_executor(self.thread, self._write, batch, self.run_id)
        self.writing = asyncio.ensure_future(self._count_when_written(written, len(batch)))

    async def _count_when_written(self, written: asyncio.Future[list[Outcome]], size: int) -> None:
        try:
            outcomes = await written
        except Exception:  # a bug, not the store: the items are lost, the crawl goes on
            logger.exception("Could not write a batch of %d articles", size)
            outcomes = [FAILED] * size
        finally:
            self.writing = None
        # Counted here, on the event loop: Scrapy's stats are not safe across threads.
        self.count(outcomes)
        self.inc("store/batches")

    async def _written(self) -> None:
        while self.writing is not None:
            await self.writing

    def _write(self, batch: list[ArticleItem], run_id: int | None) -> list[Outcome]:
        """Runs on the store's thread."""
        assert self.engine is not None
        started = time.monotonic()
        try:
            with write_transaction(self.engine) as conn:
                return [self.writer.write(conn, item, run_id) for item in batch]
        except SQLAlchemyError as exc:
            reason = store_unavailable(exc)
            if reason:
                # One by one would fail the same way (and wait out the busy timeout each).
                # When and where it failed tells a lock held too long from one SQLite gives
                # up on at once.
                statement = str(getattr(exc, "statement", "") or "").strip().split("\n")[0]
                logger.error(
                    "Could not write %d articles: %s. They are not recorded as seen: the next "
                    "run fetches them again (failed %.1f s into the transaction, at %.40r)",
                    len(batch), reason, time.monotonic() - started, statement,
                )  # fmt: skip
                return [FAILED] * len(batch)
            logger.warning(
                "Batch of %d articles failed; retrying one by one", len(batch), exc_info=True
            )
            return [self._write_alone(item, run_id) for item in batch]

    def _write_alone(self, item: ArticleItem, run_id: int | None) -> Outcome:
        assert self.engine is not None
        try:
            with write_transaction(self.engine) as conn:
                return self.writer.write(conn, item, run_id)
        except SQLAlchemyError:
            logger.exception("Could not store %s", item.article.url)
            return FAILED

    @property
    def run_id(self) -> int | None:
        stats = self.crawler.stats
        run_id: int | None = stats.get_value("newscrawl/run_id") if stats is not None else None
        return run_id

    def count(self, outcomes: list[Outcome]) -> None:
        """Count committed (or finally failed) outcomes: each article once."""
        for outcome in outcomes:
            self.inc(f"store/{outcome.kind}")
            if outcome.decision is not None:
                self.inc(f"dedupe/{outcome.decision.kind}")
            if outcome.version_kept:
                self.inc("store/versions_kept")
            if outcome.page_kept:
                self.inc("store/pages_kept")

    def inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newscrawl/{key}")
