"""Shared fixtures: the sample news sites served on 127.0.0.1, and real crawls into
temporary SQLite files, run as `scrapy crawl` in a child process exactly as a user runs it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from newscrawl.demo_server import SiteServer, load_manifest, serve_demo, stop_all

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Fast and quiet for tests; politeness defaults are tested separately in test_settings.py.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
    "RETRY_TIMES": "0",
    "DOWNLOAD_TIMEOUT": "10",
}


@dataclass
class CrawlResult:
    returncode: int
    log: str
    db: Path

    @property
    def run(self) -> dict[str, Any]:
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        data = dict(row)
        data["stats"] = json.loads(data["stats"])
        return data

    @property
    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.run["stats"]
        return stats

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params)]


def run_crawl(
    spider: str,
    db: Path,
    *,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
    **arguments: str,
) -> CrawlResult:
    """`scrapy crawl SPIDER -a k=v ...` in a child process against ``db``."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    for name, value in {**TEST_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "NEWSCRAWL_DB": f"sqlite:///{db}", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return CrawlResult(proc.returncode, proc.stderr + proc.stdout, db)


@pytest.fixture(scope="session")
def demo_sites() -> Iterator[dict[str, SiteServer]]:
    servers = serve_demo()
    yield servers
    stop_all(servers)


@pytest.fixture
def sites(demo_sites: dict[str, SiteServer]) -> dict[str, SiteServer]:
    """The demo outlets with their hit counters reset for this test."""
    for server in demo_sites.values():
        server.hits.reset()
    return demo_sites


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    return load_manifest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "news.db"
