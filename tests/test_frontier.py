"""The shared frontier (newscrawl/crawl/frontier.py): two `scrapy crawl` processes, one Redis,
one store, one local site. Each page is fetched once across both, each article stored once,
both processes work, and the next run fetches its sitemap again.

Real child processes, a real redis-server (tests/redis_server.py), real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from crawling import REPO, TEST_SETTINGS
from sites import SiteServer, static_route
from sqlalchemy import create_engine, text
from texts import article_page

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

PAGES = 24
# Slow enough that neither process can take every page before the other asks for work.
PAGE_DELAY_S = 0.3
# Every warning is an error in the crawls too (issue 11): a Scrapy deprecation in
# scrapy-redis or in our scheduler fails the test. (PYTHONWARNINGS cannot name
# ScrapyDeprecationWarning, not a builtin category.) trafilatura probes urllib3 SOCKS support.
CHILD_WARNINGS = "error,ignore:SOCKS support in urllib3"


def slow_page(number: int) -> Callable[[], tuple[int, dict[str, str], bytes]]:
    page = static_route(article_page(number))

    def route() -> tuple[int, dict[str, str], bytes]:
        time.sleep(PAGE_DELAY_S)
        return page()

    return route


def sitemap(paths: list[str]) -> str:
    urls = "".join(f"<url><loc>{{{{BASE}}}}{path}</loc></url>" for path in paths)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


class Site:
    """A sitemap of :data:`PAGES` slow article pages; the sitemap answers once ``workers``
    processes have joined the frontier, so the listed pages are there for both to take."""

    def __init__(self, root: Path, redis_url: str, frontier: str) -> None:
        import redis

        self.paths = [f"/news/{number}.html" for number in range(PAGES)]
        self.client = redis.Redis.from_url(redis_url)
        self.roll = f"{frontier}:sitemap:workers"
        self.workers = 1
        listing = static_route(sitemap(self.paths), content_type="application/xml")

        def gated_sitemap() -> tuple[int, dict[str, str], bytes]:
            deadline = time.monotonic() + 60
            while self.client.zcard(self.roll) < self.workers and time.monotonic() < deadline:
                time.sleep(0.05)
            status, headers, body = listing()
            return status, headers, body.replace(b"{{BASE}}", self.server.base_url.encode())

        routes = {path: slow_page(n) for n, path in enumerate(self.paths)}
        routes["/sitemap.xml"] = gated_sitemap
        self.server = SiteServer(root, routes=routes).start()

    def stop(self) -> None:
        self.server.stop()
        self.client.close()


@pytest.fixture
def frontier() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def site(tmp_path: Path, redis_url: str, frontier: str) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    served = Site(root, redis_url, frontier)
    yield served
    served.stop()


def start_crawl(
    site: Site, store_url: str, redis_url: str, frontier: str, logs: Path
) -> subprocess.Popen[str]:
    settings = {
        **TEST_SETTINGS,
        # Few requests in hand at a time, so the rest wait in the shared queue.
        "CONCURRENT_REQUESTS": "2",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
        # The sitemap waits for the other process to start, slow on a busy machine.
        "DOWNLOAD_TIMEOUT": "60",
        "NEWSCRAWL_REDIS_URL": redis_url,
        "NEWSCRAWL_FRONTIER_NAME": frontier,
        # A PostgreSQL store has no folder for run logs beside it: not the checkout's data/.
        "NEWSCRAWL_LOG_DIR": str(logs),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "sitemap", "-v",
               "-a", f"url={site.server.url('/sitemap.xml')}"]  # fmt: skip
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "NEWSCRAWL_DB": store_url, "PYTHONWARNINGS": CHILD_WARNINGS}
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=180)
    return process.returncode, err + out


def run_row(store_url: str, log: str) -> dict[str, Any]:
    """The crawl_runs row of the run whose summary line is in ``log``."""
    import json

    found = re.findall(r"^Run (\d+) \w+ in ", log, re.MULTILINE)
    assert found, log[-3000:]
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT * FROM crawl_runs WHERE id = :id"), {"id": int(found[-1])}
            ).one()
    finally:
        engine.dispose()
    data = dict(row._mapping)
    if isinstance(data["stats"], str):  # SQLite keeps JSON as text
        data["stats"] = json.loads(data["stats"])
    return data


def stored_urls(store_url: str, base_url: str) -> list[str]:
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT url FROM articles WHERE url LIKE :base"), {"base": base_url + "/%"}
            ).all()
    finally:
        engine.dispose()
    return [row.url for row in rows]


def test_two_processes_share_one_frontier_and_one_store(
    site: Site, store_url: str, redis_url: str, frontier: str, tmp_path: Path
) -> None:
    site.workers = 2
    processes = [start_crawl(site, store_url, redis_url, frontier, tmp_path) for _ in range(2)]
    results = [finish(process) for process in processes]
    for status, log in results:
        assert status == 0, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
    runs = [run_row(store_url, log) for _, log in results]
    assert runs[0]["id"] != runs[1]["id"]
    fetched = [run["stats"].get("newscrawl/pages/fetched", 0) for run in runs]
    assert all(count > 0 for count in fetched), fetched  # both did work
    assert sum(fetched) == PAGES
    assert sorted(run["stats"]["newscrawl/frontier/started_run"] for run in runs) == [0, 1]

    # Each process reads robots.txt for itself (politeness is per process); every other
    # path was fetched once across the two.
    hits = {path: n for path, n in site.server.hits.snapshot().items() if path != "/robots.txt"}
    assert hits == {"/sitemap.xml": 1, **dict.fromkeys(site.paths, 1)}
    stored = stored_urls(store_url, site.server.base_url)
    assert sorted(stored) == sorted(site.server.url(path) for path in site.paths)
    # The last worker out cleared the run's keys.
    assert site.client.keys(f"{frontier}:*") == []

    # The next run (cron, an hour later) fetches the sitemap again: the request filter
    # remembers one run only; the store's incremental filter skips what is stored.
    site.workers = 1
    status, log = finish(start_crawl(site, store_url, redis_url, frontier, tmp_path))
    assert status == 0, log[-3000:]
    again = run_row(store_url, log)["stats"]
    assert site.server.hits["/sitemap.xml"] == 2
    assert again.get("newscrawl/deltafetch/skipped") == PAGES
    assert again["newscrawl/frontier/started_run"] == 1
    assert site.client.keys(f"{frontier}:*") == []


def test_unreachable_redis_is_one_line_and_exit_1(tmp_path: Path) -> None:
    from redis_server import free_port

    port = free_port()
    url = f"redis://:secret@127.0.0.1:{port}/0"  # nothing listens there
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "sitemap", "-a", "url=http://127.0.0.1:9/x",
         "-s", f"NEWSCRAWL_REDIS_URL={url}"],
        cwd=REPO, env={**os.environ, "NEWSCRAWL_DB": f"sqlite:///{tmp_path / 'news.db'}"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    where = f"redis://:***@127.0.0.1:{port}/0"
    assert lines[0].startswith(f"Error: cannot reach the shared frontier at {where}: ")
    assert "secret" not in proc.stderr


def test_without_the_cluster_extra_the_run_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scrapy.settings import Settings

    from newscrawl.crawl.frontier import FrontierError, check_frontier

    monkeypatch.setitem(sys.modules, "scrapy_redis", None)  # as if not installed
    with pytest.raises(FrontierError, match=r"pip install 'newscrawl\[cluster\]'"):
        check_frontier(Settings({"NEWSCRAWL_REDIS_URL": "redis://127.0.0.1:6379/0"}))
    check_frontier(Settings({"NEWSCRAWL_REDIS_URL": ""}))  # off: nothing needed


def test_the_roll_keeps_the_run_until_the_last_worker_leaves(redis_url: str, frontier: str) -> None:
    import redis

    from newscrawl.crawl.frontier_workers import WorkerRoll

    client = redis.Redis.from_url(redis_url)
    keys = f"{frontier}:feed"
    queue, seen = f"{keys}:requests", f"{keys}:seen"
    one, two = (WorkerRoll(client, keys, name, stale_s=30) for name in ("one", "two"))
    client.sadd(seen, "left by a killed run")
    assert one.join(queue, seen) == 0  # first in: a new run, the last run's filter cleared
    assert not client.exists(seen)
    assert two.join(queue, seen) == 1
    client.sadd(seen, "fingerprint")
    client.zadd(queue, {"request": 0})
    assert one.busy_others() == 1  # two has not said it is idle: one waits
    two.beat(idle=True)
    assert one.busy_others() == 0
    two.beat(idle=False)  # two took a request again
    assert one.leave(queue, seen) == 1  # the first to finish leaves the queue to the others
    assert client.exists(queue, seen) == 2
    assert two.leave(queue, seen) == 0  # the last one clears the run
    assert client.keys(f"{keys}:*") == []

    # A worker killed without leaving stops counting once its heartbeat is stale.
    assert one.join(queue, seen) == 0
    client.zadd(f"{keys}:workers", {"one": 0})  # its last heartbeat: long ago
    client.sadd(seen, "fingerprint")
    assert two.join(queue, seen) == 0
    assert not client.exists(seen)
    assert two.leave(queue, seen) == 0
    client.close()


def test_the_demo_never_joins_a_shared_frontier(tmp_path: Path) -> None:
    """A deployment's machine has NEWSCRAWL_REDIS_URL set: the demo still crawls alone."""
    from crawling import free_ports
    from redis_server import free_port

    command = [sys.executable, "-c", "from newscrawl.cli import main; main()", "demo",
               "--db", str(tmp_path / "news.db"), "--port", str(free_ports(2))]  # fmt: skip
    env = {**os.environ, "NEWSCRAWL_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    proc = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "frontier" not in proc.stderr
