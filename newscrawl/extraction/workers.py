"""Extraction in worker processes, so that parsing pages does not stall the crawl.

Extraction is CPU-bound and Scrapy runs callbacks on its one event-loop thread; with
``NEWSCRAWL_EXTRACT_WORKERS`` above 0 pages are extracted in that many processes while the
loop keeps downloading. ``auto`` (the default) gives each core a worker, at most
``MAX_AUTO_WORKERS``: the crawl's own process (downloads, listings, the store) takes about a
third of what a worker takes a page, so a core kept for it idled, and one worker on two
cores kept a crawl below the rate of extraction alone (docs/performance.md). A one-core
machine extracts in process, where a pool would only add copying. See docs/settings.md.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TYPE_CHECKING, Final

from newscrawl.config import Config
from newscrawl.extraction.article import Article, ExtractionFailed
from newscrawl.extraction.extract import extract_article

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Each worker holds a parsed page tree or two (tens of MiB): more than this is memory for
# little gain, since the crawl's own process caps the rate beyond a few workers.
MAX_AUTO_WORKERS: Final = 4
# Pages handed to a worker at once: one it works on and one queued, so it never waits on the
# event loop; the others wait as responses in Scrapy, whose scraper slot then stops fetching.
PAGES_PER_WORKER: Final = 2
# Workers are not recycled: extracting 4,000 varied pages in one process kept its RSS flat
# (75 MiB after 100 pages and after 4,000), and a new worker costs a second of imports.


def exit_with_parent(parent: int) -> None:
    """In each worker: exit when the pool's process, ``parent``, is gone. A crawl killed with
    SIGKILL cannot shut its pool down, and a worker left waiting on its queue would live on,
    holding the crawl's stderr open.

    The pid comes from the crawl rather than from ``os.getppid()`` here: a crawl killed while
    its workers were still importing has already left them to init, and a worker that took
    init for its parent waited for ever (the hang behind a flaky kill test).
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def timed_extract(
    html: str | bytes, url: str, *, min_words: int, max_bytes: int, http_charset: str | None
) -> tuple[Article | ExtractionFailed, float]:
    """:func:`extract_article` and the CPU seconds it took in the process that ran it."""
    started = time.process_time()
    result = extract_article(
        html, url, min_words=min_words, max_bytes=max_bytes, http_charset=http_charset
    )
    return result, time.process_time() - started


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(setting: str, cores: int | None = None) -> int:
    """``NEWSCRAWL_EXTRACT_WORKERS``: a number, or ``auto`` (one per core; none on one)."""
    value = setting.strip().lower()
    if value == "auto":
        cores = cores or available_cores()
        return min(cores, MAX_AUTO_WORKERS) if cores > 1 else 0
    try:
        count = int(value)
    except ValueError:
        raise ValueError(f"NEWSCRAWL_EXTRACT_WORKERS={setting!r}: a number >= 0 or auto") from None
    if count < 0:
        raise ValueError(f"NEWSCRAWL_EXTRACT_WORKERS={setting!r}: a number >= 0 or auto")
    return count


class ExtractionWorkers:
    def __init__(self, workers: int, crawler: Crawler | None = None) -> None:
        self.workers = max(0, workers)
        self.crawler = crawler  # its stats count crashes
        self.pool: ProcessPoolExecutor | None = None
        self.slots = asyncio.Semaphore(self.workers * PAGES_PER_WORKER or 1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionWorkers:
        return cls(worker_count(Config.of(crawler).extract_workers), crawler)

    def _start(self) -> ProcessPoolExecutor:
        # spawn: never fork a process that runs a reactor and database threads; and unlike
        # forkserver's, spawned workers are the crawl's own children, so they see it die.
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=exit_with_parent,
            initargs=(os.getpid(),),
        )
        return self.pool

    async def extract(
        self,
        html: str | bytes,
        url: str,
        *,
        min_words: int,
        max_bytes: int,
        http_charset: str | None = None,
    ) -> Article | ExtractionFailed:
        """The page's article; ``html`` as fetched is best (see :func:`extract_article`)."""
        call = partial(
            timed_extract, min_words=min_words, max_bytes=max_bytes, http_charset=http_charset
        )
        if not self.workers:
            result, cpu_s = call(html, url)
            self._count_cpu(cpu_s)
            return result
        # A page that was in a pool when a worker died is tried once more in a new pool: the
        # worker may have died on another page. A page that kills two workers is given up.
        for _attempt in range(2):
            async with self.slots:
                pool = self.pool or self._start()
                try:
                    future = pool.submit(call, html, url)
                    result, cpu_s = await asyncio.wrap_future(future)
                    self._count_cpu(cpu_s)
                    return result
                except BrokenProcessPool:
                    self._crashed(pool, url)
        return ExtractionFailed(url, "worker_crashed", "an extraction worker died on it twice")

    def _count_cpu(self, cpu_s: float) -> None:
        # What extraction costs, told apart from the rest of the crawl in the same run.
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("newscrawl/extract/cpu_ms", round(cpu_s * 1000))

    def _crashed(self, pool: ProcessPoolExecutor, url: str) -> None:
        if pool is not self.pool:
            return  # another page already reported this pool's crash and replaced it
        # A worker died (out of memory on a hostile page, killed): the crawl goes on.
        logger.warning("An extraction worker died (while %s was in the pool); restarting", url)
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("newscrawl/extract/worker_crashed")
        pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
