"""Which sources a run started and which failed, with why: the run's exit status reads them.

A source is a named source of the sources file, else the start URL a request came from. It
fails when one of its feeds, sitemaps or start pages (requests marked ``newscrawl_entry``)
cannot be fetched or holds nothing parseable; the first reason is kept.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class SourcesSeen:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.failed: dict[str, str] = {}

    def started(self, names: set[str]) -> None:
        self.stats.set_value("newscrawl/sources/total", len(names))

    def entry_failed(self, meta: dict[str, Any], name: str, reason: str) -> None:
        if not meta.get("newscrawl_entry") or name in self.failed:
            return
        self.failed[name] = reason
        self.stats.set_value("newscrawl/failed_sources", dict(self.failed))
        self.stats.set_value("newscrawl/sources/failed", len(self.failed))
        logger.warning("Source %s failed: %s", name, reason)
