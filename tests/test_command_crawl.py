"""`newscrawl crawl` and `scrapy crawl` as cron runs them: exit statuses, a quiet stderr, the
full log in data/logs/<run id>.log, a progress line on a terminal, and `newscrawl runs`.

Real child processes, real crawls of the sample sites on 127.0.0.1, real SQLite files.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import sqlite3
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

from click.testing import CliRunner
from crawling import REPO, TEST_SETTINGS, WARNINGS_AS_ERRORS, last_run
from sites import WAIT_LIMIT, SiteServer, held_route
from texts import article_page

from newscrawl.cli import cli

if TYPE_CHECKING:
    from pathlib import Path

NEWSCRAWL = [sys.executable, "-c", "from newscrawl.cli import main; main()"]
SCRAPY = [sys.executable, "-m", "scrapy"]


def settings_args(**extra: str) -> list[str]:
    args = []
    for name, value in {**TEST_SETTINGS, **extra}.items():
        args += ["-s", f"{name}={value}"]
    return args


def env_for(db: Path) -> dict[str, str]:
    return {**os.environ, "NEWSCRAWL_DB": str(db), **WARNINGS_AS_ERRORS}


def run(command: list[str], db: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=REPO, env=env_for(db), capture_output=True, text=True, timeout=120,
        check=False, **kwargs,  # type: ignore[call-overload]
    )  # fmt: skip


def sources_file(tmp_path: Path, **feeds: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        "".join(
            f'[[source]]\nname = "{n}"\nkind = "feed"\nurls = ["{u}"]\n' for n, u in feeds.items()
        )
    )
    return path


def test_a_failed_source_exits_3_with_a_one_line_summary_and_the_full_log_on_file(
    sites: dict[str, SiteServer], tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    gazette = sites["gazette"]
    moved = gazette.url("/moved-feed.xml")
    sources = sources_file(tmp_path, gazette=gazette.url("/feed.xml"), moved=moved)
    proc = run([*NEWSCRAWL, "crawl", "--sources", str(sources), *settings_args()], db)

    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.splitlines()
    # Only warnings and the summary: not Scrapy's ~100 lines of INFO.
    assert len(lines) <= 4, proc.stderr
    assert "Traceback" not in proc.stderr
    summary = lines[-1]
    assert summary.startswith("Run 1 partial in 0:00:")
    assert ", new 8, updated 0, unchanged 0, duplicates 0, skipped 0, errors 1" in summary
    assert summary.endswith(f"; 1 of 2 sources failed: moved (http_404 {moved})")
    run_row = last_run(db)
    assert run_row["status"] == "partial"
    assert run_row["stats"]["newscrawl/failed_sources"] == {"moved": f"http_404 {moved}"}

    log = (tmp_path / "logs" / "1.log").read_text()
    assert "Scrapy 2." in log.splitlines()[0]  # from the first line of the run
    assert "Dumping Scrapy stats" in log  # to the last
    assert "[newscrawl.store.run_records] INFO: Run 1 partial (finished)" in log
    assert len(log.splitlines()) > 50

    listed = CliRunner().invoke(cli, ["runs", "--db", str(db), "--json"], catch_exceptions=False)
    (row,) = json.loads(listed.output)
    assert (row["status"], row["new"], row["failed_sources"]) == ("partial", 8, 1)
    assert row["failed"] == f"moved: http_404 {moved}"
    table = CliRunner().invoke(cli, ["runs", "--db", str(db)], catch_exceptions=False).output
    assert f"moved: http_404 {moved}" in table
    one = CliRunner().invoke(cli, ["runs", "1", "--db", str(db)], catch_exceptions=False).output
    assert "newscrawl/errors/http_404" in one
    assert "downloader/response_status_count/404" in one
    # The alert query of docs/operations.md finds this run, with its failed source.
    alert = re.search(r"```sql\n(.*?)```", (REPO / "docs" / "operations.md").read_text(), re.S)
    assert alert is not None
    with sqlite3.connect(db) as conn:
        alerts = conn.execute(alert.group(1)).fetchall()
    assert [(a[0], a[3], json.loads(a[4])) for a in alerts] == [
        (1, "partial", {"moved": f"http_404 {moved}"})
    ]
    missing = CliRunner().invoke(cli, ["runs", "2", "--db", str(db)])
    assert (missing.exit_code, missing.output) == (1, "Error: no run with id 2\n")


def test_every_source_ok_exits_0_and_old_entries_are_summarised(
    sites: dict[str, SiteServer], tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    logs = tmp_path / "run-logs"
    logs.mkdir()
    old = time.time() - 40 * 86400
    for name in ("a", "b"):  # older than NEWSCRAWL_LOG_KEEP_DAYS
        (logs / f"old-{name}.log").write_text("x")
        os.utime(logs / f"old-{name}.log", (old, old))
    for age in (1, 2, 3):  # recent, but over NEWSCRAWL_LOG_KEEP_COUNT with the new one
        (logs / f"recent-{age}.log").write_text("x")
        os.utime(logs / f"recent-{age}.log", (time.time() - age * 60,) * 2)
    feed = sites["gazette"].url("/feed.xml")
    keep = settings_args(NEWSCRAWL_LOG_DIR=str(logs), NEWSCRAWL_LOG_KEEP_COUNT="3")

    # The sample news is from May 2024: of the feed's 8 entries only the undated one is kept.
    proc = run([*SCRAPY, "crawl", "feed", "-a", f"url={feed}", "-a", "since_days=1", *keep], db)

    assert proc.returncode == 0, proc.stderr
    (summary,) = proc.stderr.splitlines()
    assert summary.startswith("Run 1 finished in 0:00:")
    assert (
        "fetched 1, new 1, updated 0, unchanged 0, duplicates 0, skipped 7 (too_old 7)" in summary
    )
    assert summary.endswith("; 1 source ok")
    assert sorted(p.name for p in logs.iterdir()) == ["1.log", "recent-1.log", "recent-2.log"]


def test_nothing_fetched_exits_1_and_log_level_shows_the_full_log(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    sources = sources_file(tmp_path, dead="http://127.0.0.1:9/feed.xml")
    proc = run(
        [*NEWSCRAWL, "crawl", "--sources", str(sources), "--log-level", "INFO", *settings_args()],
        db,
    )
    assert proc.returncode == 1
    assert "[scrapy.utils.log] INFO: Scrapy 2." in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith(
        "; 1 of 1 source failed: dead (connection_refused http://127.0.0.1:9/feed.xml)"
    )
    assert last_run(db)["status"] == "failed"


def test_a_held_lock_exits_75(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    with (tmp_path / "news.db.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = run([*SCRAPY, "crawl", "feed", "-a", "url=http://127.0.0.1:9/"], db)
    assert proc.returncode == 75
    assert proc.stderr.startswith("Error: another crawl is running on this store")
    assert len(proc.stderr.splitlines()) == 1


def held_site(tmp_path: Path, count: int, release: threading.Event) -> SiteServer:
    """A feed of ``count`` articles that answer only once ``release`` is set."""
    site = SiteServer(tmp_path).start()
    items = "".join(f"<item><link>{site.url(f'/a/{n}.html')}</link></item>" for n in range(count))
    (tmp_path / "feed.xml").write_text(f"<rss version='2.0'><channel>{items}</channel></rss>")
    for n in range(count):
        site.routes[f"/a/{n}.html"] = held_route(article_page(n), threading.Event(), release)
    return site


def test_a_terminal_gets_a_live_progress_line(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    release = threading.Event()  # the articles answer once two progress lines were drawn
    site = held_site(tmp_path, 4, release)
    master, child = pty.openpty()
    try:
        proc = subprocess.Popen(
            [*SCRAPY, "crawl", "feed", "-a", f"url={site.url('/feed.xml')}", *settings_args()],
            cwd=REPO, env=env_for(db), stderr=child, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(child)
        output = b""
        while True:
            ready, _, _ = select.select([master], [], [], WAIT_LIMIT)
            assert ready, f"no output from the crawl within {WAIT_LIMIT} s"
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if output.count(b"\r\x1b[Kpages ") >= 2:
                release.set()
        proc.wait(timeout=WAIT_LIMIT)
    finally:
        release.set()
        os.close(master)
        site.stop()
    text = output.decode()
    assert proc.returncode == 0, text
    frames = [f for f in text.split("\r\x1b[K") if f.startswith("pages ")]
    # Redrawn in place every second while the crawl runs, then cleared.
    assert len(frames) >= 2, text
    assert frames[0].startswith("pages 0, stored 0, 0.0 pages/s, elapsed 0:00:00")
    assert any(f.startswith("pages ") and "stored " in f and "elapsed 0:00:0" in f for f in frames)
    assert text.rstrip().splitlines()[-1].endswith("; 1 source ok")
    assert "Run 1 finished" in text
