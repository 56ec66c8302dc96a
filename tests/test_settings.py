"""The defaults a user gets without asking: polite, recorded, incremental."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from newscrawl.crawl.run import project_settings
from newscrawl.spiders.base import NewsSpider


def test_polite_defaults() -> None:
    settings = project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert 0 < settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 4
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert "newscrawl.crawl.deltafetch.DeltaFetch" in settings.getdict("DOWNLOADER_MIDDLEWARES")


def test_user_agent_carries_the_contact_url() -> None:
    settings = project_settings({"NEWSCRAWL_CONTACT_URL": "https://lab.example/crawler"})
    NewsSpider.update_settings(settings)
    assert settings.get("USER_AGENT").startswith("newscrawl/")
    assert settings.get("USER_AGENT").endswith("(+https://lab.example/crawler)")


def test_explicit_user_agent_wins() -> None:
    settings = project_settings({"USER_AGENT": "mylab-bot/1.0"})
    NewsSpider.update_settings(settings)
    assert settings.get("USER_AGENT") == "mylab-bot/1.0"


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
