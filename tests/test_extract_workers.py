"""Extraction in worker processes: the same articles, and a killed worker does not end the
crawl (counted, logged, replaced, the page tried again in the new one)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.utils.test import get_crawler

from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article
from newscrawl.extraction.worker_process import PIPE_BYTES
from newscrawl.extraction.workers import ExtractionWorkers

if TYPE_CHECKING:
    import pytest
    from sites import SiteServer


def _page(demo_sites: dict[str, SiteServer], manifest: dict[str, Any]) -> tuple[str, str]:
    return _pages(demo_sites, manifest)[0]


def test_a_killed_worker_is_counted_and_its_page_extracted_in_a_new_one(
    demo_sites: dict[str, SiteServer], manifest: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    html, url = _page(demo_sites, manifest)
    crawler = get_crawler()
    workers = ExtractionWorkers(1, crawler)

    async def run() -> tuple[Any, Any]:
        try:
            first = await workers.extract(html, url, min_words=50, max_bytes=10**7)
            assert len(workers.pids()) == 1
            for pid in workers.pids():  # the real worker process, killed for real
                os.kill(pid, signal.SIGKILL)
            second = await workers.extract(html, url, min_words=50, max_bytes=10**7)
        finally:
            workers.close()  # as the spider does: while the event loop runs
        return first, second

    first, second = asyncio.run(run())
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
        import asyncio, os, signal
        from scrapy.utils.test import get_crawler
        from newscrawl.extraction.workers import ExtractionWorkers

        async def main():
            workers = ExtractionWorkers(2, get_crawler())
            workers._worker()  # spawns both workers
            assert len(workers.pids()) == 2
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
    """)
    # Returns once every process holding the crawl's stdout and stderr has exited.
    done = subprocess.run(
        [sys.executable, "-c", crawl], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def _pages(demo_sites: dict[str, SiteServer], manifest: dict[str, Any]) -> list[tuple[str, str]]:
    gazette = demo_sites["gazette"]
    paths = [a["path"] for a in manifest["sites"]["gazette"]["articles"]]
    return [(gazette.resolve(p)[2].decode(), gazette.url(p)) for p in paths]


def test_each_answer_comes_back_to_its_own_page(
    demo_sites: dict[str, SiteServer], manifest: dict[str, Any]
) -> None:
    # Many pages in flight over two workers at once, each given as bytes: every page gets
    # its own article, the same as in process, and both workers did some of the work.
    pages = _pages(demo_sites, manifest) * 3
    crawler = get_crawler()
    workers = ExtractionWorkers(2, crawler)
    served: set[int] = set()

    async def one(html: str, url: str) -> Any:
        result = await workers.extract(html.encode(), url, min_words=50, max_bytes=10**7)
        served.update(workers.pids())
        return result

    async def run() -> list[Any]:
        try:
            return await asyncio.gather(*(one(html, url) for html, url in pages))
        finally:
            workers.close()

    results = asyncio.run(run())
    expected = [extract_article(html.encode(), url, min_words=50) for html, url in pages]
    assert results == expected
    assert len(served) == 2
    assert crawler.stats is not None
    assert crawler.stats.get_value("newscrawl/extract/worker_crashed") is None


def test_a_page_larger_than_the_pipe_goes_through_whole(
    demo_sites: dict[str, SiteServer], manifest: dict[str, Any]
) -> None:
    # Even widened to PIPE_BYTES, a pipe holds less than a 3 MB page (an article padded with
    # a long comment): it is written in parts while the worker reads, and its answer read
    # back in parts too.
    html, url = _page(demo_sites, manifest)
    padded = html.replace("</body>", "<!-- " + "x" * 3_000_000 + " --></body>")
    workers = ExtractionWorkers(1)

    async def run() -> tuple[Any, list[int]]:
        try:
            result = await workers.extract(padded, url, min_words=50, max_bytes=10**7)
            return result, [_pipe_size(t) for t in workers.running[0].transports()]
        finally:
            workers.close()

    result, sizes = asyncio.run(run())
    assert isinstance(result, Article)
    assert result == extract_article(padded, url, min_words=50, max_bytes=10**7)
    # On Linux both pipes hold 1 MiB (a few whole pages, each then crossing in one write),
    # unless the system's ceiling is lower.
    ceiling = Path("/proc/sys/fs/pipe-max-size")
    if sys.platform == "linux" and int(ceiling.read_text()) >= PIPE_BYTES:
        assert sizes == [PIPE_BYTES, PIPE_BYTES]


def _pipe_size(transport: asyncio.BaseTransport) -> int:
    if sys.platform != "linux":
        return 0
    import fcntl

    return fcntl.fcntl(transport.get_extra_info("pipe").fileno(), fcntl.F_GETPIPE_SZ)


def test_an_idle_worker_that_dies_is_counted_and_replaced(
    demo_sites: dict[str, SiteServer], manifest: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    html, url = _page(demo_sites, manifest)
    crawler = get_crawler()
    workers = ExtractionWorkers(1, crawler)

    async def run() -> tuple[int, Any, int]:
        try:
            await workers.extract(html, url, min_words=50, max_bytes=10**7)
            (first,) = workers.pids()
            os.kill(first, signal.SIGKILL)
            while workers.pids() == [first]:  # the end of its pipe reaches the event loop
                await asyncio.sleep(0.01)
            result = await workers.extract(html, url, min_words=50, max_bytes=10**7)
            (second,) = workers.pids()
        finally:
            workers.close()
        return first, result, second

    first, result, second = asyncio.run(run())
    assert isinstance(result, Article)
    assert second != first
    assert crawler.stats is not None
    assert crawler.stats.get_value("newscrawl/extract/worker_crashed") == 1
    assert "with no page in it" in caplog.text


def test_workers_ignore_ctrl_c_and_stop_when_closed(
    demo_sites: dict[str, SiteServer], manifest: dict[str, Any]
) -> None:
    # Ctrl-C in a terminal reaches every process of the crawl; the crawl finishes the pages
    # in hand, so its workers must still be there to extract them.
    html, url = _page(demo_sites, manifest)
    crawler = get_crawler()
    workers = ExtractionWorkers(2, crawler)

    async def pages(count: int) -> list[Any]:
        return await asyncio.gather(
            *(workers.extract(html, url, min_words=50, max_bytes=10**7) for _ in range(count))
        )

    async def run() -> tuple[list[int], list[Any], list[int]]:
        try:
            workers._worker()  # both workers start, and Ctrl-C comes while they import
            pids = workers.pids()
            for pid in pids:
                os.kill(pid, signal.SIGINT)
            results = await pages(4)
            for pid in pids:  # and again once they wait for pages
                os.kill(pid, signal.SIGINT)
            results += await pages(4)
            after = workers.pids()
        finally:
            workers.close()
        return pids, results, after

    pids, results, after = asyncio.run(run())
    assert all(isinstance(result, Article) for result in results)
    assert after == pids
    assert len(pids) == 2
    assert workers.pids() == []
    for pid in pids:  # reaped: gone from the process table, not left as zombies
        assert not Path(f"/proc/{pid}").exists()
    assert crawler.stats is not None
    assert crawler.stats.get_value("newscrawl/extract/worker_crashed") is None
