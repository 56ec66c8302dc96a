"""Writes articles to the store in batched write transactions, and counts what happened.

Each article goes through the one write path, :class:`newscrawl.dedupe.write.ArticleWriter`,
which decides duplicates as it goes. A batch that fails is retried item by item, so one bad
item costs only itself. Outcomes are counted in the stats once their transaction has
committed, so an article is counted once however many times its batch was tried.
"""

from __future__ import annotations

import logging
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
        self.engine = self.store.engine

    def close_spider(self) -> None:
        self.flush()

    def process_item(self, item: ArticleItem) -> ArticleItem:
        if item.fingerprint is None:
            # A wiring mistake (the dedupe pipeline removed or ordered after the store), not
            # bad input: said and counted, and the crawl goes on.
            logger.error("Not storing %s: it has no fingerprint; pipelines.dedupe."
                         "DedupePipeline must run before the store", item.article.url)  # fmt: skip
            self.count([FAILED])
            return item
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if not batch or self.engine is None:
            return
        try:
            with write_transaction(self.engine) as conn:
                outcomes = [self.writer.write(conn, item, self.run_id) for item in batch]
        except SQLAlchemyError as exc:
            reason = store_unavailable(exc)
            if reason:
                # One by one would fail the same way (and wait out the busy timeout each).
                logger.error(
                    "Could not write %d articles: %s. They are not recorded as seen: the next "
                    "run fetches them again", len(batch), reason,
                )  # fmt: skip
                outcomes = [FAILED] * len(batch)
            else:
                logger.warning(
                    "Batch of %d articles failed; retrying one by one", len(batch), exc_info=True
                )
                outcomes = [self._write_alone(item) for item in batch]
        self.count(outcomes)
        self.inc("store/batches")

    def _write_alone(self, item: ArticleItem) -> Outcome:
        assert self.engine is not None
        try:
            with write_transaction(self.engine) as conn:
                return self.writer.write(conn, item, self.run_id)
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
