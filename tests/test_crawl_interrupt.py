"""Safe to kill: a crawl stopped with SIGTERM writes what it fetched and says so."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

from crawling import REPO, TEST_SETTINGS, WARNINGS_AS_ERRORS, last_run
from sites import WAIT_LIMIT, SiteServer, held_route, static_route
from texts import article_page

from newscrawl import settings as project_settings

if TYPE_CHECKING:
    from pathlib import Path


FAST = 10  # articles answered at once; the others wait until the crawl has been told to stop


def read_until(proc: subprocess.Popen[str], text: str) -> str:
    """The child's output up to and including the first line containing ``text``."""
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"the crawl ended without logging {text!r}:\n{''.join(seen)}")


def test_sigterm_stops_cleanly_and_keeps_what_was_fetched(tmp_path: Path, db: Path) -> None:
    """No timing: the test stops the crawl once the first held page is asked for, and lets
    the held pages answer once the crawl has logged that it is shutting down."""
    count = 40
    arrived, release = threading.Event(), threading.Event()
    site = SiteServer(tmp_path).start()
    try:
        items = "".join(
            f"<item><link>{site.url(f'/a/{n}.html')}</link></item>" for n in range(count)
        )
        (tmp_path / "feed.xml").write_text(f"<rss version='2.0'><channel>{items}</channel></rss>")
        for n in range(count):
            page = article_page(n)
            site.routes[f"/a/{n}.html"] = (
                static_route(page) if n < FAST else held_route(page, arrived, release)
            )
        settings = {**TEST_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
                    "NEWSCRAWL_STORE_BATCH_SIZE": "4"}  # fmt: skip
        command = [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "feed",
            "--verbose",  # the full log on stderr: the test waits for a line of it
            "-a",
            f"url={site.url('/feed.xml')}",
        ]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        env = {**os.environ, "NEWSCRAWL_DB": f"sqlite:///{db}", **WARNINGS_AS_ERRORS}
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip
        try:
            assert arrived.wait(WAIT_LIMIT), "the crawl never reached the held pages"
            proc.send_signal(signal.SIGTERM)
            log = read_until(proc, "Received SIGTERM, shutting down gracefully")
        finally:
            release.set()
        log += proc.communicate(timeout=WAIT_LIMIT)[0]
    finally:
        release.set()
        site.stop()

    assert "Traceback" not in log
    run = last_run(db)
    assert run["status"] == "interrupted"
    assert run["finish_reason"] == "shutdown"
    assert proc.returncode == 130  # scrapy crawl exits with the run's status, as newscrawl does
    fetched = site.hits.matching(lambda p: p.startswith("/a/"))
    assert {f"/a/{n}.html" for n in range(FAST)} <= set(fetched)
    # plus the held pages in flight when the crawl logged its stop; none asked for after it
    assert FAST < len(fetched) <= FAST + project_settings.CONCURRENT_REQUESTS < count
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        indexed = conn.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    # Every page fetched before the stop was stored, not only the full batches.
    assert (
        stored == run["stats"]["newscrawl/store/inserted"] == run["stats"]["newscrawl/extract/ok"]
    )
    assert stored >= FAST
    assert indexed == stored
    assert integrity == "ok"
