"""The defaults a user gets without asking: polite, recorded, incremental."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from newscrawl import settings as project_defaults
from newscrawl.crawl.run import project_settings
from newscrawl.spiders.site import SiteSpider

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module", autouse=True)
def _reactor_removed_after() -> Iterator[None]:
    """The reactor these tests install runs on an asyncio loop nobody closes: left to the
    garbage collector, the loop and its self-pipe sockets raised ResourceWarnings at the
    end of the test run. Closed here, and the reactor uninstalled, for the tests after."""
    yield
    reactor = sys.modules.pop("twisted.internet.reactor", None)
    loop = getattr(reactor, "_asyncioEventloop", None)
    if loop is not None and not loop.is_closed():
        loop.close()


def started(overrides: dict[str, Any] | None = None) -> Settings:
    """The settings a crawl runs with, given ``-s`` overrides: add-ons applied, as Scrapy
    does when the crawler starts."""
    crawler = Crawler(SiteSpider, project_settings(overrides), init_reactor=True)
    crawler._apply_settings()
    return crawler.settings


def test_polite_defaults() -> None:
    settings = project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert 0 < settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 4
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert "newscrawl.crawl.deltafetch.DeltaFetch" in settings.getdict("DOWNLOADER_MIDDLEWARES")


def test_user_agent_carries_the_contact_url() -> None:
    assert started().get("USER_AGENT").endswith(f"(+{project_defaults.NEWSCRAWL_CONTACT_URL})")
    settings = started({"NEWSCRAWL_CONTACT_URL": "https://lab.example/crawler"})
    assert settings.get("USER_AGENT").startswith("newscrawl/")
    assert settings.get("USER_AGENT").endswith("(+https://lab.example/crawler)")


def test_explicit_user_agent_wins() -> None:
    assert started({"USER_AGENT": "mylab-bot/1.0"}).get("USER_AGENT") == "mylab-bot/1.0"


def test_max_page_bytes_moves_download_maxsize() -> None:
    default = project_defaults.NEWSCRAWL_MAX_PAGE_BYTES
    assert started().getint("DOWNLOAD_MAXSIZE") == default
    assert started({"NEWSCRAWL_MAX_PAGE_BYTES": "1000"}).getint("DOWNLOAD_MAXSIZE") == 1000
    both = started({"NEWSCRAWL_MAX_PAGE_BYTES": "1000", "DOWNLOAD_MAXSIZE": "2000"})
    assert both.getint("DOWNLOAD_MAXSIZE") == 2000


def test_extract_workers_auto_is_one_per_core_and_none_on_one() -> None:
    from newscrawl.extraction.workers import MAX_AUTO_WORKERS, worker_count

    assert project_defaults.NEWSCRAWL_EXTRACT_WORKERS == "auto"
    assert [worker_count("auto", cores) for cores in (1, 2, 4)] == [0, 2, 4]
    assert worker_count("auto", 64) == MAX_AUTO_WORKERS
    assert worker_count(" 3 ") == 3
    assert worker_count("0") == 0


def test_scrapy_list_shows_every_spider() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.split() == ["feed", "news", "site", "sitemap", "urls"]


def test_config_holds_every_newscrawl_setting() -> None:
    from dataclasses import fields

    from newscrawl import settings as project_settings
    from newscrawl.config import Config

    declared = {name for name in dir(project_settings) if name.startswith("NEWSCRAWL_")}
    held = {f"NEWSCRAWL_{field.name.upper()}" for field in fields(Config)}
    assert declared == held


def test_config_defaults_come_from_project_settings() -> None:
    from scrapy.settings import Settings

    from newscrawl import settings as project_settings
    from newscrawl.config import Config

    bare = Config.from_settings(Settings())
    assert bare.min_words == project_settings.NEWSCRAWL_MIN_WORDS
    assert bare.max_pages == project_settings.NEWSCRAWL_MAX_PAGES
    overridden = Config.from_settings(Settings({"NEWSCRAWL_MIN_WORDS": "7"}))
    assert overridden.min_words == 7
