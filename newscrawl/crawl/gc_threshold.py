"""Python's cyclic garbage collector, run less often in the crawl's process.

Each page makes and drops thousands of container objects in the crawl's process (Twisted
Deferreds, Scrapy requests and responses, items, SQLAlchemy rows). Reference counting frees
nearly all of them, but the collector counts them as they are made, and at Python's default
(a young-generation collection every 700 net new objects) it ran about 150 times in a
crawl of 500 pages, every tenth one also over the middle generation, and once or twice over
all of start-up's 150,000 objects: 0.5-0.75 ms of CPU a page (docs/performance.md).
At :data:`~newscrawl.settings.NEWSCRAWL_GC_THRESHOLD` it runs a few times per thousand pages,
and peak memory stayed as it was (the objects a page leaves in reference cycles are few).

Set for the crawl (from the engine's start to its stop) and put back after, so a process
that runs other things after a crawl, a test run among them, gets Python's own again.
Extraction workers keep Python's default: what they measure is plain extraction's cost.
"""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.config import Config

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class GcThreshold:
    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.previous: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        threshold = Config.of(crawler).gc_threshold
        if threshold <= 0:
            raise NotConfigured(f"NEWSCRAWL_GC_THRESHOLD={threshold}: Python's own thresholds")
        extension = cls(threshold)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        self.previous = gc.get_threshold()
        gc.set_threshold(self.threshold, *self.previous[1:])
        logger.debug("Garbage collector threshold: %d (was %d)", self.threshold, self.previous[0])

    def engine_stopped(self) -> None:
        if self.previous is not None:
            gc.set_threshold(*self.previous)
            self.previous = None
