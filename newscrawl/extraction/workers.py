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
from typing import TYPE_CHECKING, Final

from newscrawl.config import Config
from newscrawl.extraction.article import ExtractionFailed
from newscrawl.extraction.worker_process import Worker, WorkerDiedError, timed_extract

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from newscrawl.extraction.article import Article

logger = logging.getLogger(__name__)

# Each worker holds a parsed page tree or two (tens of MiB): more than this is memory for
# little gain, since the crawl's own process caps the rate beyond a few workers.
MAX_AUTO_WORKERS: Final = 4
# Pages handed to a worker at once: one it works on and one queued, so it never waits on the
# event loop; the others wait as responses in Scrapy, whose scraper slot then stops fetching.
PAGES_PER_WORKER: Final = 2
# Workers are not recycled: extracting 4,000 varied pages in one process kept its RSS flat
# (75 MiB after 100 pages and after 4,000), and a new worker costs a second of imports.


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
        self.running: list[Worker] = []
        self.slots = asyncio.Semaphore(self.workers * PAGES_PER_WORKER or 1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionWorkers:
        return cls(worker_count(Config.of(crawler).extract_workers), crawler)

    def _worker(self) -> Worker:
        """The least busy live worker; workers that died are replaced here."""
        self.running = [w for w in self.running if w.alive]
        # spawn: never fork a process that runs a reactor and database threads; and unlike
        # forkserver's, spawned workers are the crawl's own children, so they see it die.
        context = multiprocessing.get_context("spawn")
        while len(self.running) < self.workers:
            self.running.append(Worker(context, self._died))
        return min(self.running, key=lambda worker: len(worker.waiting))

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
        if not self.workers:
            result, cpu_s = timed_extract(
                html, url, min_words=min_words, max_bytes=max_bytes, http_charset=http_charset
            )
            self._count_cpu(cpu_s)
            return result
        # A page that was in a worker when it died is tried once more in another: the worker
        # may have died on another page. A page that kills two workers is given up.
        options = {"min_words": min_words, "max_bytes": max_bytes, "http_charset": http_charset}
        for _attempt in range(2):
            async with self.slots:
                try:
                    result, cpu_s = await self._worker().extract(html, url, options)
                except WorkerDiedError:
                    continue
                self._count_cpu(cpu_s)
                return result
        return ExtractionFailed(url, "worker_crashed", "an extraction worker died on it twice")

    def _count_cpu(self, cpu_s: float) -> None:
        # What extraction costs, told apart from the rest of the crawl in the same run.
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("newscrawl/extract/cpu_ms", round(cpu_s * 1000))

    def _died(self, urls: list[str]) -> None:
        # A worker died (out of memory on a hostile page, killed): the crawl goes on.
        logger.warning(
            "An extraction worker died (%s); starting another",
            f"while {', '.join(urls)} {'was' if len(urls) == 1 else 'were'} in it"
            if urls
            else "with no page in it",
        )
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("newscrawl/extract/worker_crashed")

    def pids(self) -> list[int]:
        """The live workers' process ids."""
        return [w.pid for w in self.running if w.alive and w.pid is not None]

    def close(self) -> None:
        for worker in self.running:
            worker.close()
        self.running = []
