"""One store per crawl: every component that reads or writes the store shares one engine,
but for the store pipeline's writer thread, which has connections of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import Spider
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from newscrawl.crawl.conditional import ConditionalRequests
from newscrawl.crawl.deltafetch import DeltaFetch
from newscrawl.store.engine import CACHE_KIB
from newscrawl.store.extension import StoreExtension
from newscrawl.store.run_records import RunRecorder
from pipelines.store import StorePipeline

if TYPE_CHECKING:
    from pathlib import Path


def test_the_components_of_a_crawl_share_one_engine(db: Path) -> None:
    crawler = get_crawler(Spider, {"NEWSCRAWL_DB": f"sqlite:///{db}"})
    spider = Spider(name="test")
    # Built in the order Scrapy builds them, the extension first; each finds the same store.
    extension = build_from_crawler(StoreExtension, crawler)
    recorder = build_from_crawler(RunRecorder, crawler)
    delta = build_from_crawler(DeltaFetch, crawler)
    conditional = build_from_crawler(ConditionalRequests, crawler)
    pipeline = build_from_crawler(StorePipeline, crawler)
    assert StoreExtension.of(crawler) is extension
    recorder.spider_opened(spider)
    delta.spider_opened(spider)
    conditional.spider_opened(spider)
    pipeline.open_spider()
    engines = {id(c.engine) for c in (recorder, delta, conditional)}
    assert engines == {id(extension.engine)}
    assert pipeline.engine is not None
    assert pipeline.engine is not extension.engine
    assert pipeline.engine.url == extension.engine.url
    assert crawler.stats.get_value("newscrawl/run_id") == 1
    pipeline.engine.connect().close()
    assert pipeline.engine.pool.checkedin() == 1
    extension.close()
    assert pipeline.engine.pool.checkedin() == 0  # its connections closed with the store


def test_a_component_built_before_the_extension_opens_the_same_store(db: Path) -> None:
    crawler = get_crawler(Spider, {"NEWSCRAWL_DB": f"sqlite:///{db}"})
    pipeline = build_from_crawler(StorePipeline, crawler)
    pipeline.open_spider()
    assert pipeline.engine is not None
    assert build_from_crawler(StoreExtension, crawler).engine.url == pipeline.engine.url
    StoreExtension.of(crawler).close()


def test_a_crawl_with_no_store_component_never_opens_the_store(db: Path) -> None:
    crawler = get_crawler(Spider, {"NEWSCRAWL_DB": f"sqlite:///{db}"})
    build_from_crawler(StoreExtension, crawler).close()
    assert not db.exists()


def test_the_crawls_store_connection_has_a_bounded_cache_and_no_memory_map(db: Path) -> None:
    # Pages read through a memory map count in the crawl's resident memory, which then grew
    # with the store (issue 10: 3.7x at 20,000 pages); a page cache has a fixed ceiling.
    crawler = get_crawler(Spider, {"NEWSCRAWL_DB": f"sqlite:///{db}"})
    extension = build_from_crawler(StoreExtension, crawler)
    assert extension.engine is not None
    with extension.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -CACHE_KIB
    extension.close()
