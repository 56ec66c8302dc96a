"""Real crawls for tests: `scrapy crawl` in a child process, exactly as a user runs it,
against the sample sites on 127.0.0.1 and a temporary SQLite file or PostgreSQL database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from newscrawl.store.schema import format_timestamp

if TYPE_CHECKING:
    from sites import SiteServer

REPO = Path(__file__).resolve().parent.parent
# Child processes (crawls, CLI commands) turn every warning into an error, as pytest does in
# this one (pyproject's filterwarnings): a Scrapy deprecation in spider, pipeline or extension
# code fails the test. Only the same optional-dependency probe is let through.
WARNINGS_AS_ERRORS = {"PYTHONWARNINGS": "error,ignore:SOCKS support in urllib3"}

# Fast and quiet for tests; politeness defaults are tested separately in test_settings.py.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
    "RETRY_TIMES": "0",
    "DOWNLOAD_TIMEOUT": "10",
}


def store_url(db: Path | str) -> str:
    """A database URL from a SQLite file's path, or the URL given."""
    return db if isinstance(db, str) else f"sqlite:///{db}"


def rows(db: Path | str, sql: str, *params: Any) -> list[dict[str, Any]]:
    """The rows of ``sql`` (``?`` placeholders) as dicts, on either backend."""
    engine = create_engine(store_url(db))
    if engine.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")  # psycopg's placeholder
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.exec_driver_sql(sql, params).mappings()]
    finally:
        engine.dispose()


@dataclass
class CrawlResult:
    returncode: int
    log: str
    db: Path | str  # a SQLite file, or a database URL
    run: dict[str, Any]  # this crawl's crawl_runs row, stats decoded

    @property
    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.run["stats"]
        return stats

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        return rows(self.db, sql, *params)


def last_run(db: Path | str) -> dict[str, Any]:
    data = rows(db, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    if isinstance(data["stats"], str):  # SQLite hands JSON back as text
        data["stats"] = json.loads(data["stats"])
    return data


def run_crawl(
    spider: str,
    db: Path | str,
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
    settings = {**TEST_SETTINGS, **(settings or {})}
    if isinstance(db, str) and not db.startswith("sqlite"):
        # A server's store has no folder of its own: its run logs must not land in the
        # checkout's data/logs.
        name = make_url(db).database or "store"
        logs = Path(tempfile.gettempdir()) / "newscrawl-test-logs" / name
        settings.setdefault("NEWSCRAWL_LOG_DIR", str(logs))
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    env = {
        **os.environ,
        "NEWSCRAWL_DB": store_url(db),
        **WARNINGS_AS_ERRORS,
        **(env or {}),
    }
    proc = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    log = proc.stderr + proc.stdout
    assert isinstance(db, str) or db.exists(), f"the crawl created no database:\n{log[-3000:]}"
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
