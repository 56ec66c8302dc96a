"""Sitemap entries waiting for the scheduler as bare addresses, handed over as it runs empty.

A sitemap may list 50,000 pages and an index hundreds of sitemaps. Given to Scrapy's
in-memory scheduler at once, every entry waits as a Request with its meta and fingerprint,
about 2 KiB each, so a crawl's memory grew with the size of the sitemaps it read
(docs/performance.md). Here an entry waits as its address, about a tenth of that, and
``NEWSCRAWL_SCHEDULE_AHEAD`` of them at a time become requests whenever the scheduler has
none left. Sources take turns, so one huge sitemap does not hold the others back.

Not used where the queue is not in this process's memory: with ``JOBDIR`` (on disk, and
resumable: entries held here would be lost with a killed run) or the shared frontier (in
Redis, where other crawl processes must see them).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from newscrawl.config import Config

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request

    from newscrawl.crawl.sources import Source

    # (url, source, via, listed_by) -> the request for that article
    MakeRequest = Callable[[str, "Source", str, tuple[str, ...]], Request]


class PendingEntries:
    """Entries not yet scheduled, a queue per source, taken in turns."""

    def __init__(self, crawler: Crawler, batch: int, make_request: MakeRequest) -> None:
        self.crawler = crawler
        self.batch = batch  # 0: every entry is scheduled at once, as Scrapy does
        self.make_request = make_request
        # Keyed by source; a dict keeps the turn order (a source moves to the end when served).
        self.queues: dict[Source, deque[tuple[str, str, tuple[str, ...]]]] = {}
        self.waiting = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, make_request: MakeRequest) -> PendingEntries:
        config = Config.of(crawler)
        batch = max(0, config.schedule_ahead)
        if crawler.settings.get("JOBDIR") or config.redis_url:
            batch = 0
        pending = cls(crawler, batch, make_request)
        if batch:
            crawler.signals.connect(pending.scheduler_empty, signal=signals.scheduler_empty)
            crawler.signals.connect(pending.spider_idle, signal=signals.spider_idle)
        return pending

    def add(
        self, urls: list[str], source: Source, via: str, listed_by: tuple[str, ...]
    ) -> list[Request]:
        """The requests to yield now: all of them when holding back is off, else none."""
        if not self.batch:
            return [self.make_request(url, source, via, listed_by) for url in urls]
        queue = self.queues.setdefault(source, deque())
        queue.extend((url, via, listed_by) for url in urls)
        self.waiting += len(urls)
        self._count_peak()
        return []

    def take(self, count: int) -> list[Request]:
        """Up to ``count`` requests, one source after another."""
        taken: list[Request] = []
        while self.queues and len(taken) < count:
            source = next(iter(self.queues))
            queue = self.queues.pop(source)
            url, via, listed_by = queue.popleft()
            taken.append(self.make_request(url, source, via, listed_by))
            if queue:
                self.queues[source] = queue
        self.waiting -= len(taken)
        return taken

    # --- signals ---------------------------------------------------------------------------
    def scheduler_empty(self) -> None:
        self._schedule()

    def spider_idle(self, spider: Spider) -> None:
        # Normally the scheduler_empty signal refills first; this is the safety net, so that
        # the crawl never ends with entries still waiting.
        if self._schedule():
            raise DontCloseSpider

    def _schedule(self) -> bool:
        engine = self.crawler.engine
        if engine is None or engine.spider is None or not self.queues:
            return False
        for request in self.take(self.batch):
            engine.crawl(request)
        return True

    def _count_peak(self) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.max_value("newscrawl/sitemaps/entries_waiting_max", self.waiting)
