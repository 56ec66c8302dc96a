"""Runs a spider in this process with the project's settings and returns its stats.

Used by ``newscrawl crawl`` and ``newscrawl demo``; ``scrapy crawl`` does the same by itself.
"""

from __future__ import annotations

import os
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    settings = get_project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_spider(
    spider: str, arguments: dict[str, str], overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Crawl until done or interrupted (Ctrl-C / SIGTERM stop it cleanly, flushing the store)."""
    process = CrawlerProcess(project_settings(overrides))
    crawler = process.create_crawler(spider)
    process.crawl(crawler, **arguments)
    process.start()
    assert crawler.stats is not None
    stats: dict[str, Any] = crawler.stats.get_stats()
    return stats
