"""Real crawls for tests: `scrapy crawl` in a child process, exactly as a user runs it,
against the sample sites on 127.0.0.1 and a temporary SQLite file.
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

from newscrawl.store.schema import format_timestamp

if TYPE_CHECKING:
    from sites import SiteServer

REPO = Path(__file__).resolve().parent.parent

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
    run: dict[str, Any]  # this crawl's crawl_runs row, stats decoded

    @property
    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.run["stats"]
        return stats

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params)]


def last_run(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    data = dict(row)
    data["stats"] = json.loads(data["stats"])
    return data


def run_crawl(
    spider: str,
    db: Path,
    *,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
    verbose: bool = True,
    env: dict[str, str] | None = None,
    **arguments: str,
) -> CrawlResult:
    """`scrapy crawl SPIDER -a k=v ...` in a child process against ``db``; ``verbose``
    (the default) puts the full log on stderr, where the tests read it."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *(["-v"] if verbose else [])]
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    for name, value in {**TEST_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    env = {
        **os.environ,
        "NEWSCRAWL_DB": f"sqlite:///{db}",
        "PYTHONWARNINGS": "ignore",
        **(env or {}),
    }
    proc = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    log = proc.stderr + proc.stdout
    assert db.exists(), f"the crawl created no database:\n{log[-3000:]}"
    return CrawlResult(proc.returncode, log, db, last_run(db))


def site_articles(manifest: dict[str, Any], site: str) -> dict[str, dict[str, Any]]:
    """The manifest's articles of one outlet, by URL path."""
    return {a["path"]: a for a in manifest["sites"][site]["articles"]}


def assert_clean_articles(
    result: CrawlResult, manifest: dict[str, Any], site: str, server: SiteServer, paths: list[str]
) -> None:
    """Each article stored once, with its title, body, date, and none of the boilerplate."""
    expected = site_articles(manifest, site)
    stored = {
        r["url"]: r
        for r in result.rows("SELECT * FROM articles WHERE url LIKE ?", server.base_url + "/%")
    }
    assert sorted(stored) == sorted(server.url(p) for p in paths)
    for path in paths:
        row, truth = stored[server.url(path)], expected[path]
        assert row["title"] == truth["title"]
        if truth["published"]:
            assert row["published_at"] == format_timestamp(truth["published"]), path
        elif truth.get("visible_date_iso"):  # only a date in the text: midnight UTC that day
            midnight = f"{truth['visible_date_iso']}T00:00:00.000000Z"
            assert row["published_at"] == midnight, path
        for snippet in truth["must_contain"]:
            assert snippet in row["text"], (path, snippet)
        for snippet in truth["must_not_contain"]:
            assert snippet not in row["text"], (path, snippet)


def free_ports(count: int = 2) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1 (for servers on fixed ports).

    Tests never use the demo's default ports: other test runs on the machine may hold them.
    """
    import socket

    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")
