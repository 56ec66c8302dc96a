"""Records every crawl in the crawl_runs table: when, what it did, and how it ended.

The row is written when the spider opens (status ``running``), so a run killed with SIGKILL
still shows; a clean or interrupted close fills in the outcome and the full stats.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, update
from sqlalchemy.exc import SQLAlchemyError

from newscrawl.store.abandoned_runs import mark_abandoned, this_process
from newscrawl.store.backends import write_transaction
from newscrawl.store.engine import store_unavailable
from newscrawl.store.extension import StoreComponent
from newscrawl.store.schema import CrawlRunRow, utcnow

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


# Sent once the run has its crawl_runs row, with ``run_id``: the run log is named after it.
run_opened = object()


def run_status(reason: str | None, stats: dict[str, Any]) -> str:
    """finished, partial (some sources failed), failed (bad arguments, nothing fetched,
    every source failed) or interrupted (Ctrl-C, SIGTERM)."""
    if reason == "shutdown":
        return "interrupted"
    if reason != "finished":
        return "failed"
    if stats.get("newscrawl/errors/bad_arguments"):
        return "failed"
    requested = stats.get("downloader/request_count", 0)
    if requested and not stats.get("downloader/response_count", 0):
        return "failed"  # every request errored: dead hosts, DNS, refused connections
    failed = stats.get("newscrawl/sources/failed", 0)
    if failed:
        stored = stats.get("newscrawl/store/inserted", 0) or stats.get("newscrawl/store/updated", 0)
        everything = failed >= stats.get("newscrawl/sources/total", 0)
        return "failed" if everything and not stored else "partial"
    return "finished"


def jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    def encode(value: object) -> str:
        return value.isoformat() if isinstance(value, datetime) else str(value)

    data: dict[str, Any] = json.loads(json.dumps(stats, default=encode))
    return data


class RunRecorder(StoreComponent):
    setting = "NEWSCRAWL_RUNS_ENABLED"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.run_id: int | None = None

    def spider_opened(self, spider: Spider) -> None:
        try:
            super().spider_opened(spider)
            me = this_process()
            with write_transaction(self.store.engine) as conn:
                abandoned = mark_abandoned(conn, utcnow(), me)
                self.run_id = conn.execute(
                    insert(CrawlRunRow)
                    .values(
                        spider=spider.name,
                        started_at=utcnow(),
                        status="running",
                        arguments=_arguments(spider),
                        stats={},
                        pid=me.pid,
                        hostname=me.hostname,
                        process_start=me.process_start,
                    )
                    .returning(CrawlRunRow.id)
                ).scalar_one()
        except SQLAlchemyError:
            logger.exception("Could not record the run in %s", self.store.url)
            return
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newscrawl/run_id", self.run_id)
        self.crawler.signals.send_catch_log(run_opened, run_id=self.run_id)
        if abandoned:
            self.crawler.stats.set_value("newscrawl/runs/abandoned_found", len(abandoned))

    def spider_closed(self, spider: Spider, reason: str = "finished") -> None:
        if self.engine is None or self.run_id is None:
            return
        assert self.crawler.stats is not None
        stats = jsonable(self.crawler.stats.get_stats())
        status = run_status(reason, stats)
        self.crawler.stats.set_value("newscrawl/run_status", status)
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(
                    update(CrawlRunRow)
                    .where(CrawlRunRow.id == self.run_id)
                    .values(finished_at=utcnow(), status=status, finish_reason=reason, stats=stats)
                )
        except SQLAlchemyError as exc:
            # A full or locked store is said in one line; the next run marks this one abandoned.
            unavailable = store_unavailable(exc)
            if unavailable:
                logger.error("Could not record the end of run %s: %s", self.run_id, unavailable)
            else:
                logger.exception("Could not record the end of run %s", self.run_id)
        logger.info("Run %s %s (%s)", self.run_id, status, reason)


def _arguments(spider: Spider) -> dict[str, str]:
    arguments = getattr(spider, "arguments", {})
    return dict(arguments) if isinstance(arguments, dict) else {}
