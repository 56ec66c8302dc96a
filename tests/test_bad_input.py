"""Bad input to a crawl is one line on stderr and exit status 1, never a traceback.

Each case runs the real command in a child process, as a cron user would; none gets as far
as fetching anything.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import fields
from typing import TYPE_CHECKING

import pytest
from crawling import REPO, WARNINGS_AS_ERRORS

from newscrawl.config import Config
from newscrawl.crawl.run import project_settings
from newscrawl.crawl.settings_check import SettingsError, check_settings, known_settings

if TYPE_CHECKING:
    from pathlib import Path

NEWSCRAWL = [sys.executable, "-c", "from newscrawl.cli import main; main()"]
SCRAPY = [sys.executable, "-m", "scrapy"]
FEED = ["feed", "-a", "url=http://127.0.0.1:9/feed.xml"]


def run(command: list[str], db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSCRAWL_DB": db, **WARNINGS_AS_ERRORS}
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], message: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ")
    assert message in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "DOWNLOAD_DELAY=abc"], "DOWNLOAD_DELAY='abc': DOWNLOAD_DELAY takes a number"),
        (
            ["-s", "NEWSCRAWL_MAX_PAGEZ=3"],
            "unknown setting NEWSCRAWL_MAX_PAGEZ; did you mean NEWSCRAWL_MAX_PAGES?",
        ),
    ],
)
def test_bad_settings(tmp_path: Path, args: list[str], message: str) -> None:
    proc = run([*SCRAPY, "crawl", *FEED, *args], str(tmp_path / "news.db"))
    assert_one_line_error(proc, message)
    assert not (tmp_path / "news.db").exists()  # checked before anything was opened


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NEWSCRAWL_STORE_BATCH_SIZE", "1.5", "NEWSCRAWL_STORE_BATCH_SIZE takes a whole number"),
        ("NEWSCRAWL_NEAR_DUP_THRESHOLD", "high", "takes a number"),
        ("CONCURRENT_REQUESTS", "many", "CONCURRENT_REQUESTS takes a number"),
        ("ROBOTSTXT_OBEY", "maybe", "ROBOTSTXT_OBEY takes true/false or 1/0"),
        ("TELNETCONSOLE_ENABLED", "yes", "takes true/false or 1/0"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL=LOUD: use DEBUG, INFO"),
        ("NEWSCRAWL_SOURCE", "x.toml", "did you mean NEWSCRAWL_SOURCES?"),
        ("NEWSCRAWL_NOTHING_LIKE_IT", "1", "unknown setting NEWSCRAWL_NOTHING_LIKE_IT"),
    ],
)
def test_settings_check(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        check_settings(project_settings({name: value}))


def test_every_setting_the_code_reads_is_known() -> None:
    """The unknown-setting check must never refuse a real one: each is in settings.py."""
    code = " ".join(
        p.read_text() for d in ("newscrawl", "pipelines") for p in (REPO / d).rglob("*.py")
    )
    used = set(re.findall(r"\"(NEWSCRAWL_[A-Z_]+[A-Z])\"", code))
    # Components read most settings through Config, by field name.
    used |= {f"NEWSCRAWL_{field.name.upper()}" for field in fields(Config)}
    env_only = {"NEWSCRAWL_LOG_LEVEL"}  # an environment variable giving LOG_LEVEL's default
    assert len(used) > 10
    assert used - env_only <= set(known_settings())


def test_good_settings_pass_the_check() -> None:
    check_settings(project_settings({
        "DOWNLOAD_DELAY": "0.25", "CONCURRENT_REQUESTS": "4", "ROBOTSTXT_OBEY": "False",
        "NEWSCRAWL_STORE_BATCH_SIZE": "50", "NEWSCRAWL_NEAR_DUP_THRESHOLD": "0.8",
        "LOG_LEVEL": "debug", "USER_AGENT": "lab-bot",
    }))  # fmt: skip


def test_unknown_spider_names_the_nearest(tmp_path: Path) -> None:
    proc = run([*SCRAPY, "crawl", "feeds"], str(tmp_path / "news.db"))
    assert_one_line_error(proc, "no spider named 'feeds'; did you mean feed?")


def test_a_corrupt_store_is_named_before_scrapy_starts(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    db.write_bytes(b"this is not a SQLite database, just text that was copied here\n" * 100)
    proc = run([*SCRAPY, "crawl", *FEED], str(db))
    assert_one_line_error(
        proc, f"{db} is not a newscrawl store (file is not a database); nothing was changed"
    )
    assert not (tmp_path / "logs").exists()


def test_demo_with_a_corrupt_store(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    db.write_bytes(b"\x00garbage" * 1000)
    proc = run([*NEWSCRAWL, "demo", "--db", str(db)], str(db))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {db} is not a newscrawl store (file is not a database); nothing was changed"
    ]
    assert db.read_bytes() == b"\x00garbage" * 1000  # left as it was


def test_a_lock_folder_that_cannot_be_written(tmp_path: Path) -> None:
    # Tests run as root here, where permissions do not stop writes: a file where the
    # folder should be fails the same way (the lock cannot be created).
    (tmp_path / "store").write_text("a file, not a folder")
    proc = run([*SCRAPY, "crawl", *FEED], str(tmp_path / "store" / "news.db"))
    assert_one_line_error(proc, f"cannot take the crawl lock {tmp_path / 'store/news.db.lock'}")


def test_a_log_folder_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("a file, not a folder")
    proc = run([*SCRAPY, "crawl", *FEED], str(tmp_path / "news.db"))
    assert_one_line_error(proc, f"cannot write the run log in {tmp_path / 'logs'}")


def test_a_database_url_without_its_driver(tmp_path: Path) -> None:
    # mysqlclient is not installed (psycopg is, in the test extra).
    proc = run([*SCRAPY, "crawl", *FEED], "mysql://crawler@127.0.0.1:9/news")
    assert_one_line_error(proc, "the database URL mysql:// needs the mysqlclient driver")
    assert "pip install" in proc.stderr


def test_an_in_memory_store_is_refused(tmp_path: Path) -> None:
    # Every connection would get an empty database of its own: nothing could be stored.
    proc = run([*SCRAPY, "crawl", *FEED], "sqlite://")
    assert_one_line_error(proc, "'sqlite://' is an in-memory SQLite database, gone when the crawl")


def test_a_database_server_that_does_not_answer(tmp_path: Path) -> None:
    proc = run([*SCRAPY, "crawl", *FEED], "postgresql+psycopg://crawler@127.0.0.1:9/news")
    assert_one_line_error(
        proc, "cannot connect to postgresql+psycopg://crawler@127.0.0.1:9/news: connection"
    )


def test_urls_without_a_host(tmp_path: Path) -> None:
    urls = "http://,http:///path,https://host:99999/"
    proc = run([*SCRAPY, "crawl", "feed", "-a", f"url={urls}"], str(tmp_path / "news.db"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"feed: not http(s) URLs with a host: {urls.replace(',', ', ')}" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("Run 1 failed in ")


def test_unknown_key_in_the_sources_file(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "a"\nkind = "site"\nurls = ["https://a.example/"]\nmax_pagez = 3\n'
    )
    db = str(tmp_path / "news.db")
    message = "source #1 (a): unknown key 'max_pagez'; did you mean 'max_pages'?"
    assert_one_line_error(run([*NEWSCRAWL, "crawl", "--sources", str(sources)], db), message)
