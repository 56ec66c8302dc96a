"""A test-only Scrapy extension: the most requests Scrapy's scheduler held at once, as the
crawl stat ``test/scheduler_peak`` (recorded with the run in crawl_runs).

Read from Scrapy's own counters when each request is scheduled: requests enqueued minus
requests dequeued, plus the one arriving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class SchedulerPeak:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        probe = cls(crawler)
        crawler.signals.connect(probe.request_scheduled, signal=signals.request_scheduled)
        return probe

    def request_scheduled(self, **_: Any) -> None:
        held = self.stats.get_value("scheduler/enqueued", 0) - self.stats.get_value(
            "scheduler/dequeued", 0
        )
        self.stats.max_value("test/scheduler_peak", held + 1)
