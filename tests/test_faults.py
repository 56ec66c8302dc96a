"""Faults a crawl survives, with real processes: SIGKILL at five points, a store held by other
processes, a full disk, two crawls at once. Nothing committed is lost or doubled, the store
stays sound, and what a run could not write is fetched by the next one.

The kills are placed by tests/faulthook.py (a test-only extension, driven by environment
variables): no sleeps decide where a crawl dies.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawling import REPO, TEST_SETTINGS, WARNINGS_AS_ERRORS, run_crawl
from sites import SiteServer, static_route
from texts import article_page, rss

from newscrawl.crawl.run import project_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sites import Route

HOOK = {
    # First of the extensions, so that at "close" it hears spider_closed before the recorder.
    "EXTENSIONS": json.dumps(
        {**project_settings().getdict("EXTENSIONS"), "faulthook.FaultHook": -1}
    ),
    "ITEM_PIPELINES": json.dumps(
        {**project_settings().getdict("ITEM_PIPELINES"), "faulthook.FaultPipeline": 900}
    ),
    "NEWSCRAWL_STORE_BATCH_SIZE": "3",
}
HOOK_ENV = {"PYTHONPATH": str(REPO / "tests")}


@contextmanager
def feed_site(root: Path, count: int, feed: str = "/feed.xml") -> Iterator[SiteServer]:
    """A site whose feed lists ``count`` distinct articles (/a/0.html ...)."""
    site = SiteServer(root).start()
    try:
        links = [site.url(f"/a/{n}.html") for n in range(count)]
        site.routes[feed] = static_route(rss(links), content_type="application/rss+xml")
        for n in range(count):
            site.routes[f"/a/{n}.html"] = static_route(article_page(n))
        yield site
    finally:
        site.stop()


def first_time(action: Callable[[], object], route: Route) -> Route:
    """``route``, doing ``action`` before answering the first request."""
    done = threading.Lock()
    pending = [action]

    def answer() -> tuple[int, dict[str, str], bytes]:
        with done:
            todo = pending[:1]
            pending.clear()
        for act in todo:
            act()
        return route()

    return answer


def sound_store(db: Path) -> list[str]:
    """The stored article URLs, after checking the file, the FTS index and uniqueness."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # FTS5 compares its index with the articles table; raises when they disagree.
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        urls = [r[0] for r in conn.execute("SELECT url FROM articles ORDER BY id")]
        texts = conn.execute("SELECT COUNT(DISTINCT content_hash) FROM articles").fetchone()[0]
    assert texts == len(urls) == len(set(urls)), "an article was stored twice"
    return urls


def runs(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM crawl_runs ORDER BY id")]


def assert_abandoned(run: dict[str, Any], found_by: dict[str, Any]) -> None:
    assert run["status"] == "abandoned", run
    assert run["finish_reason"] == "process_gone"
    assert run["pid"]
    assert run["hostname"]
    # finished_at is when the next run found it: after it started, before the finder did.
    found = datetime.fromisoformat(run["finished_at"])
    assert datetime.fromisoformat(run["started_at"]) <= found
    assert found <= datetime.fromisoformat(found_by["started_at"])


# (where, at which occurrence, articles committed by the killed run)
KILL_POINTS = [
    ("fetch", 3, None),  # the third article request reaches the downloader: no batch is full
    ("mid_batch", 4, 3),  # one batch of 3 written, the fourth item in the buffer
    ("write", 4, 3),  # inside the second batch's transaction, before an alias insert
    ("fts", 5, 3),  # inside the second batch, in the statement whose trigger updates FTS
    ("close", 1, None),  # everything flushed, the run not yet recorded as ended
]


def test_sigkill_at_five_points_loses_and_doubles_nothing(tmp_path: Path, db: Path) -> None:
    count = 24
    marker = tmp_path / "reached"
    with feed_site(tmp_path, count) as site:
        feed = site.url("/feed.xml")
        stored: list[str] = []
        for number, (point, at, committed) in enumerate(KILL_POINTS, start=1):
            env = {**HOOK_ENV, "NEWSCRAWL_TEST_FAULT": point, "NEWSCRAWL_TEST_FAULT_AT": str(at),
                   "NEWSCRAWL_TEST_FAULT_MARKER": str(marker)}  # fmt: skip
            result = run_crawl("feed", db, settings=HOOK, env=env, url=feed)
            assert result.returncode == -signal.SIGKILL, (point, result.log[-3000:])
            assert marker.read_text() == point  # died where it was meant to
            marker.unlink()
            now = sound_store(db)
            assert now[: len(stored)] == stored, f"{point}: committed articles changed"
            if committed is not None:
                assert len(now) - len(stored) == committed, point
            stored = now
            history = runs(db)
            assert len(history) == number
            assert history[-1]["status"] == "running"  # killed: nobody recorded its end
            if number > 1:
                assert_abandoned(history[-2], found_by=history[-1])
        assert len(stored) == count  # the "close" run fetched and flushed the rest
        final = run_crawl("feed", db, url=feed)

    assert final.returncode == 0, final.log[-3000:]
    assert final.run["status"] == "finished"
    assert final.stats["newscrawl/runs/abandoned_found"] == 1
    assert_abandoned(runs(db)[-2], found_by=final.run)
    assert sound_store(db) == stored
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'report'")
        assert found.fetchone()[0] == count


class Writer:
    """Another process's long write transaction (an import, a `newscrawl reindex`)."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self.lock = threading.Lock()

    def hold(self) -> None:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        with self.lock:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")


def test_a_store_held_by_others_is_waited_for_and_what_cannot_wait_is_fetched_again(
    tmp_path: Path, db: Path
) -> None:
    count = 4
    writer = Writer(db)
    analyst = sqlite3.connect(db, check_same_thread=False)
    try:
        with feed_site(tmp_path, count) as site:
            feed, feed_route = site.url("/feed.xml"), site.routes["/feed.xml"]
            # Run 1: another process takes the write lock when the feed is fetched and keeps
            # it past the run; with a busy timeout of 1 s nothing can be written.
            site.routes["/feed.xml"] = first_time(writer.hold, feed_route)
            first = run_crawl("feed", db, settings={"NEWSCRAWL_BUSY_TIMEOUT": "1"}, url=feed)
            writer.release()
            assert sound_store(db) == []
            # Run 2: an analyst reads in one long transaction throughout, and the writer holds
            # the lock again from the feed until half a second after the last article page
            # was served. (Not a synchronisation: the assertions hold whether the crawl had
            # to wait or not; the default 30 s busy timeout covers the wait.)
            analyst.execute("BEGIN")
            assert analyst.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
            site.routes["/feed.xml"] = first_time(writer.hold, feed_route)
            served = threading.Semaphore(0)
            for n in range(count):
                page = site.routes[f"/a/{n}.html"]
                site.routes[f"/a/{n}.html"] = first_time(served.release, page)
            releaser = threading.Thread(target=release_after, args=(served, count, writer))
            releaser.start()
            second = run_crawl("feed", db, url=feed)
            releaser.join(timeout=60)
        # The analyst's snapshot did not move under it, and did not stop the crawl.
        assert analyst.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
        analyst.rollback()
    finally:
        writer.release()
        analyst.close()

    assert "Traceback" not in first.log
    assert (
        f"Could not write {count} articles: another process held the store's write lock past "
        "the busy timeout (database is locked). They are not recorded as seen" in first.log
    )
    assert second.run["status"] == "finished", second.log[-3000:]
    assert second.stats["newscrawl/store/inserted"] == count
    assert "newscrawl/store/failed" not in second.stats
    assert len(sound_store(db)) == count
    # Run 1 could not record its end either; run 2 found its process gone.
    assert_abandoned(runs(db)[0], found_by=second.run)


def release_after(served: threading.Semaphore, count: int, writer: Writer) -> None:
    for _ in range(count):
        if not served.acquire(timeout=60):
            break
    threading.Timer(0.5, writer.release).start()


@contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Callable[[], None] | None]:
    """A tmpfs of ``size`` at ``path``; yields a function that grows it to 64 MiB, or None
    when this machine does not let us mount (not root): the test then limits SQLite instead.
    """
    path.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    try:
        subprocess.run(mount, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        yield None
        return
    grow = ["mount", "-o", "remount,size=64m", str(path)]
    try:
        yield lambda: subprocess.run(grow, check=True, capture_output=True) and None
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def test_a_full_disk_fails_in_one_line_and_the_next_run_carries_on(tmp_path: Path) -> None:
    count = 30
    # The run logs go elsewhere: whether a log line still fits beside the full store would
    # otherwise decide the test, by the length of earlier lines.
    batches = {"NEWSCRAWL_STORE_BATCH_SIZE": "5", "NEWSCRAWL_LOG_DIR": str(tmp_path / "logs")}
    # 400 KiB: the empty store and its WAL fit, about half of the articles do not.
    with small_filesystem(tmp_path / "small", "400k") as grow, feed_site(tmp_path, count) as site:
        db = tmp_path / "small" / "news.db"
        feed = site.url("/feed.xml")
        if grow is None:  # SQLite's own size limit stands in for the full filesystem
            limit = {"NEWSCRAWL_TEST_FAULT": "disk_full", "NEWSCRAWL_TEST_MAX_PAGES": "35"}
            full = {"settings": {**HOOK, **batches}, "env": {**HOOK_ENV, **limit}}
        else:
            full = {"settings": batches}
        first = run_crawl("feed", db, url=feed, **full)
        on_full = sound_store(db)
        if grow is not None:
            grow()
        second = run_crawl("feed", db, url=feed)
        stored = sound_store(db)

    assert "Traceback" not in first.log, first.log[-3000:]
    assert "the store is full (database or disk is full)" in first.log
    assert 0 < len(on_full) < count
    assert second.run["status"] == "finished", second.log[-3000:]
    assert stored[: len(on_full)] == on_full
    assert len(stored) == count


def test_a_second_crawl_of_the_same_store_exits_75_while_the_first_runs(
    tmp_path: Path, db: Path
) -> None:
    newscrawl = str(Path(sys.executable).with_name("newscrawl"))
    inside, go_on = threading.Event(), threading.Event()

    def hold_the_first_run() -> None:
        inside.set()
        go_on.wait(60)

    with feed_site(tmp_path, 2) as site:
        site.routes["/feed2.xml"] = site.routes["/feed.xml"]
        site.routes["/feed.xml"] = first_time(hold_the_first_run, site.routes["/feed.xml"])
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "one"\nkind = "feed"\nurls = ["{site.url("/feed.xml")}"]\n'
            f'[[source]]\nname = "two"\nkind = "feed"\nurls = ["{site.url("/feed2.xml")}"]\n'
        )
        common = [newscrawl, "crawl", "--db", str(db), "--sources", str(sources)]
        for name, value in {**TEST_SETTINGS, "DOWNLOAD_TIMEOUT": "90"}.items():
            common += ["-s", f"{name}={value}"]
        env = {**os.environ, **WARNINGS_AS_ERRORS}
        first = subprocess.Popen([*common, "--only", "one"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)  # fmt: skip
        try:
            assert inside.wait(60), "the first crawl never fetched its feed"
            second = subprocess.run([*common, "--only", "two"], env=env, capture_output=True,
                                    text=True, timeout=120, check=False)  # fmt: skip
        finally:
            go_on.set()
            first_log, _ = first.communicate(timeout=120)

    assert second.returncode == 75, second.stderr[-3000:]
    assert "another crawl is running on this store" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.returncode == 0, first_log[-3000:]
    history = runs(db)
    assert [(r["status"], json.loads(r["arguments"])["only"]) for r in history] == [
        ("finished", "one")
    ]
    assert len(sound_store(db)) == 2
