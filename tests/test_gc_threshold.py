"""The crawl's process collects cyclic garbage less often, for the crawl only."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import pytest
from crawling import run_crawl
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from newscrawl.crawl.gc_threshold import GcThreshold

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer


def test_the_threshold_holds_from_engine_start_to_stop() -> None:
    before = gc.get_threshold()
    crawler = get_crawler(settings_dict={"NEWSCRAWL_GC_THRESHOLD": 12345})
    extension = GcThreshold.from_crawler(crawler)  # held: signals keep weak references
    try:
        extension.engine_started()
        assert gc.get_threshold() == (12345, *before[1:])
    finally:
        extension.engine_stopped()
    assert gc.get_threshold() == before


def test_zero_leaves_pythons_thresholds() -> None:
    with pytest.raises(NotConfigured):
        GcThreshold.from_crawler(get_crawler(settings_dict={"NEWSCRAWL_GC_THRESHOLD": "0"}))


def test_a_crawl_runs_with_the_projects_threshold(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path
) -> None:
    courier = sites["courier"]
    path = manifest["sites"]["courier"]["articles"][0]["path"]
    result = run_crawl("urls", db, url=courier.url(path), settings={"LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log
    assert f"Garbage collector threshold: 10000 (was {gc.get_threshold()[0]})" in result.log
    assert len(result.rows("SELECT id FROM articles")) == 1
