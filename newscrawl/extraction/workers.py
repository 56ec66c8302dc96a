"""Extraction in worker processes, so that parsing pages does not stall the crawl.

Extraction is CPU-bound and Scrapy runs callbacks on its one event-loop thread; with
``NEWSCRAWL_EXTRACT_WORKERS`` > 0 pages are extracted in that many processes while the loop
keeps downloading. 0 (the default) extracts in-process, which is simplest and fastest for
small or polite crawls where the network, not the CPU, is the limit.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from newscrawl.extraction.article import Article, ExtractionFailed
from newscrawl.extraction.extract import extract_article

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)


class ExtractionWorkers:
    def __init__(self, workers: int) -> None:
        self.workers = max(0, workers)
        self.pool: ProcessPoolExecutor | None = None
        self.restarts = 0

    def _start(self) -> ProcessPoolExecutor:
        # forkserver: never fork a process that runs a reactor and database threads.
        context = multiprocessing.get_context("forkserver")
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self.pool

    async def extract(
        self, html: str, url: str, *, min_words: int, max_bytes: int
    ) -> Article | ExtractionFailed:
        if not self.workers:
            return extract_article(html, url, min_words=min_words, max_bytes=max_bytes)
        pool = self.pool or self._start()
        call: Callable[..., Article | ExtractionFailed] = extract_article
        future = pool.submit(call, html, url, min_words=min_words, max_bytes=max_bytes)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            # A worker died (out of memory on a hostile page): that page is lost, not the crawl.
            logger.warning("An extraction worker died on %s; restarting the pool", url)
            self.restarts += 1
            pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
            return ExtractionFailed(url, "parse_error", "extraction worker died")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
