"""One crawl run, as ``newscrawl crawl``, ``newscrawl demo`` and ``scrapy crawl`` all do it.

Everything that can be wrong before fetching is checked before Scrapy starts (settings, the
spider name, the store, the lock, the log folder) and reported as one line; then the crawl
runs in this process and its outcome maps to an exit status (newscrawl/crawl/outcome.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.crawler import CrawlerProcess
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.project import get_project_settings

from newscrawl.config import Config
from newscrawl.crawl.frontier import FrontierError, check_frontier
from newscrawl.crawl.lock import AlreadyRunningError, LockError, crawl_lock
from newscrawl.crawl.logfile import RunLog, RunLogError
from newscrawl.crawl.outcome import EXIT_FAILED, EXIT_LOCKED, exit_status, summary_line
from newscrawl.crawl.settings_check import SettingsError, check_settings, nearest
from newscrawl.store.check import check_store, store_url
from newscrawl.store.migrations import StoreError
from newscrawl.store.run_records import run_opened, run_status

if TYPE_CHECKING:
    from scrapy.settings import Settings


class RunError(Exception):
    """The run could not start; ``str()`` is the one line to show, ``exit_code`` the status."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class RunOutcome:
    run_id: int | None
    status: str
    stats: dict[str, Any]

    @property
    def exit_code(self) -> int:
        return exit_status(self.status)

    @property
    def summary(self) -> str:
        return summary_line(
            self.run_id if self.run_id is not None else "?", self.status, self.stats
        )


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    settings = get_project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run(spider: str, arguments: dict[str, str], settings: Settings, *, verbose: bool) -> RunOutcome:
    """Check, lock, crawl; raises :class:`RunError` when the run cannot start."""
    try:
        check_settings(settings)
        check_frontier(settings)
    except (SettingsError, FrontierError) as exc:
        raise RunError(str(exc)) from exc
    spiders = sorted(get_spider_loader(settings).list())
    if spider not in spiders:
        raise RunError(f"no spider named {spider!r}{nearest(spider, spiders)} "
                       f"(spiders: {', '.join(spiders)})")  # fmt: skip
    try:
        db_url = store_url(settings.get("NEWSCRAWL_DB") or None)
    except StoreError as exc:
        raise RunError(str(exc)) from exc
    settings.set("NEWSCRAWL_DB", db_url, priority="cmdline")
    # Our RunLog owns the root handlers: all of it to the run's file, little to stderr.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    shared = bool(Config.from_settings(settings).redis_url)
    try:
        # The workers of a shared frontier crawl into one store together: the lock only
        # keeps them from creating or upgrading its schema at the same time.
        with crawl_lock(db_url, wait=shared):
            check_store(db_url)
            if not shared:
                return _logged_crawl(spider, arguments, settings, db_url, verbose=verbose)
        return _logged_crawl(spider, arguments, settings, db_url, verbose=verbose)
    except AlreadyRunningError as exc:
        raise RunError(str(exc), EXIT_LOCKED) from exc
    except (LockError, RunLogError, StoreError) as exc:
        raise RunError(str(exc)) from exc


def _logged_crawl(
    spider: str, arguments: dict[str, str], settings: Settings, db_url: str, *, verbose: bool
) -> RunOutcome:
    with RunLog(settings, db_url, verbose=verbose) as log:
        return _crawl(spider, arguments, settings, log)


def _crawl(spider: str, arguments: dict[str, str], settings: Settings, log: RunLog) -> RunOutcome:
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider)
    crawler.signals.connect(log.name_after, signal=run_opened)
    log.show_progress(crawler)
    process.crawl(crawler, **arguments)
    process.start()
    if process.bootstrap_failed:
        raise RunError(f"the crawl could not start; the reason is in {log.path}")
    assert crawler.stats is not None
    stats: dict[str, Any] = crawler.stats.get_stats()
    status = stats.get("newscrawl/run_status")
    if not isinstance(status, str):  # not recorded (NEWSCRAWL_RUNS_ENABLED off, store error)
        status = run_status(stats.get("finish_reason"), stats)
    run_id = stats.get("newscrawl/run_id")
    return RunOutcome(run_id if isinstance(run_id, int) else None, status, stats)
