"""Safe to kill: a crawl stopped with SIGTERM writes what it fetched and says so."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from crawling import REPO, TEST_SETTINGS, last_run
from sites import SiteServer, static_route
from texts import article_page

if TYPE_CHECKING:
    from pathlib import Path

    from sites import Route


def slow(body: str, seconds: float) -> Route:
    fast = static_route(body)

    def answer() -> tuple[int, dict[str, str], bytes]:
        time.sleep(seconds)
        return fast()

    return answer


def test_sigterm_stops_cleanly_and_keeps_what_was_fetched(tmp_path: Path, db: Path) -> None:
    count = 40
    site = SiteServer(tmp_path).start()
    try:
        items = "".join(
            f"<item><link>{site.url(f'/a/{n}.html')}</link></item>" for n in range(count)
        )
        (tmp_path / "feed.xml").write_text(f"<rss version='2.0'><channel>{items}</channel></rss>")
        for n in range(count):
            site.routes[f"/a/{n}.html"] = slow(article_page(n), 0.15)
        settings = {**TEST_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
                    "NEWSCRAWL_STORE_BATCH_SIZE": "4"}  # fmt: skip
        command = [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "feed",
            "-a",
            f"url={site.url('/feed.xml')}",
        ]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        env = {**os.environ, "NEWSCRAWL_DB": f"sqlite:///{db}", "PYTHONWARNINGS": "ignore"}
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while len(site.hits.matching(lambda p: p.startswith("/a/"))) < 10:
            assert time.monotonic() < deadline, "the crawl did not get going"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        log, _ = proc.communicate(timeout=60)
    finally:
        site.stop()

    assert "Traceback" not in log
    run = last_run(db)
    assert run["status"] == "interrupted"
    assert run["finish_reason"] == "shutdown"
    assert proc.returncode == 130  # scrapy crawl exits with the run's status, as newscrawl does
    fetched = len(site.hits.matching(lambda p: p.startswith("/a/")))
    assert 10 <= fetched < count
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        indexed = conn.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    # Every page fetched before the stop was stored, not only the full batches.
    assert (
        stored == run["stats"]["newscrawl/store/inserted"] == run["stats"]["newscrawl/extract/ok"]
    )
    assert stored >= 10
    assert indexed == stored
    assert integrity == "ok"
