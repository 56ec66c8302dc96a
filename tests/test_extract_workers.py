"""Extraction in worker processes: the same articles, and a killed worker does not end the
crawl (counted, logged, the page tried again in a new pool)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from scrapy.utils.test import get_crawler

from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article
from newscrawl.extraction.workers import ExtractionWorkers

if TYPE_CHECKING:
    import pytest
    from sites import SiteServer


def _page(demo_sites: dict[str, SiteServer], manifest: dict[str, Any]) -> tuple[str, str]:
    gazette = demo_sites["gazette"]
    path = manifest["sites"]["gazette"]["articles"][0]["path"]
    return gazette.resolve(path)[2].decode(), gazette.url(path)


def test_a_killed_worker_is_counted_and_the_page_extracted_in_a_new_pool(
    demo_sites: dict[str, SiteServer], manifest: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    html, url = _page(demo_sites, manifest)
    crawler = get_crawler()
    workers = ExtractionWorkers(1, crawler)

    async def run() -> tuple[Any, Any]:
        first = await workers.extract(html, url, min_words=50, max_bytes=10**7)
        assert workers.pool is not None
        for pid in list(workers.pool._processes):  # the real worker process, killed for real
            os.kill(pid, signal.SIGKILL)
        second = await workers.extract(html, url, min_words=50, max_bytes=10**7)
        return first, second

    try:
        first, second = asyncio.run(run())
    finally:
        workers.close()
    in_process = extract_article(html, url, min_words=50, max_bytes=10**7)
    assert isinstance(first, Article)
    assert first == second == in_process
    assert crawler.stats is not None
    assert crawler.stats.get_value("newscrawl/extract/worker_crashed") == 1
    assert "An extraction worker died" in caplog.text
    # The workers' extraction CPU is counted in the crawl's stats: two pages extracted.
    assert crawler.stats.get_value("newscrawl/extract/cpu_ms") > 0


def test_workers_of_a_crawl_killed_while_they_start_exit_too() -> None:
    # The crawl dies before its workers have finished importing, so they find themselves
    # init's children from the start. Were one left, the crawl's stderr would stay open and
    # whoever reads it (cron's mail, a test) would wait for ever.
    crawl = textwrap.dedent("""
        import os, signal
        from scrapy.utils.test import get_crawler
        from newscrawl.extraction.workers import ExtractionWorkers

        pool = ExtractionWorkers(2, get_crawler())._start()
        for _ in range(2):
            pool.submit(os.getpid)  # the pool spawns its workers for these
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    # Returns once every process holding the crawl's stdout and stderr has exited.
    done = subprocess.run(
        [sys.executable, "-c", crawl], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
