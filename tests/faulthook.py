"""Test-only: kill a real crawl with SIGKILL at a chosen point, deterministically.

Loaded into a `scrapy crawl` child by tests/test_faults.py (``-s EXTENSIONS=...``) and
driven by environment variables, so nothing of it is in the package:

* ``NEWSCRAWL_TEST_FAULT``: where to die: ``fetch`` (an article request reaches the
  downloader), ``mid_batch`` (an item was put in the store pipeline's buffer, its batch not
  written: :class:`FaultPipeline`, placed after the store), ``write`` (inside a write
  transaction, before an alias insert), ``fts``
  (inside the statement inserting an article, whose triggers maintain ``articles_fts``),
  ``close`` (the spider closed and flushed, the run not yet recorded as ended);
* ``NEWSCRAWL_TEST_FAULT_AT``: the how-manieth occurrence (default 1);
* ``NEWSCRAWL_TEST_FAULT_MARKER``: a file written just before dying, so the test knows
  the point was reached (and not some other failure);
* ``NEWSCRAWL_TEST_MAX_PAGES``: with ``disk_full`` as the fault, the store's
  ``max_page_count``, where a small filesystem cannot be mounted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from newscrawl.store.extension import StoreExtension


class FaultHook:
    def __init__(self, point: str, at: int, marker: Path | None) -> None:
        self.point = point
        self.at = at
        self.marker = marker
        self.seen = 0

    @classmethod
    def from_env(cls) -> FaultHook:
        marker = os.environ.get("NEWSCRAWL_TEST_FAULT_MARKER")
        return cls(
            os.environ.get("NEWSCRAWL_TEST_FAULT", ""),
            int(os.environ.get("NEWSCRAWL_TEST_FAULT_AT", "1")),
            Path(marker) if marker else None,
        )

    @classmethod
    def from_crawler(cls, crawler: Any) -> FaultHook:
        hook = cls.from_env()
        if hook.point == "fetch":
            crawler.signals.connect(hook.request_reached, signal=signals.request_reached_downloader)
        elif hook.point == "close":
            # This extension is loaded before the run recorder, so it hears spider_closed first.
            crawler.signals.connect(hook.count, signal=signals.spider_closed)
        elif hook.point == "write":
            event.listen(Engine, "before_cursor_execute", hook.before_execute)
        elif hook.point == "fts":
            event.listen(Engine, "connect", hook.arm_fts_trigger)
        elif hook.point == "disk_full":
            event.listen(Engine, "connect", hook.limit_pages)
        return hook

    def reached(self) -> None:
        self.seen += 1
        if self.seen < self.at:
            return
        if self.marker is not None:
            self.marker.write_text(self.point)
        os.kill(os.getpid(), signal.SIGKILL)

    def count(self, *args: Any, **kwargs: Any) -> None:
        self.reached()

    def request_reached(self, request: Any, spider: Any) -> None:
        if request.meta.get("newscrawl_article"):
            self.reached()

    def before_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO article_urls"):
            self.reached()

    def arm_fts_trigger(self, dbapi_connection: Any, _record: Any) -> None:
        # A temporary trigger fires in the same statement as the one keeping articles_fts in
        # sync; dying from it leaves that statement and its transaction half done.
        dbapi_connection.create_function("fault_hook", 0, lambda: self.reached() or 0)
        # A fresh file has no articles table yet: a later connection arms the trigger.
        with contextlib.suppress(sqlite3.OperationalError):
            dbapi_connection.execute(
                "CREATE TEMP TRIGGER fault_fts AFTER INSERT ON main.articles "
                "BEGIN SELECT fault_hook(); END"
            )

    def limit_pages(self, dbapi_connection: Any, _record: Any) -> None:
        pages = int(os.environ["NEWSCRAWL_TEST_MAX_PAGES"])
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")


class FaultPipeline:
    """Dies after the store pipeline took the Nth item, when the fault is ``mid_batch``.

    The store writes full batches on a thread of its own while items go on arriving. This
    waits, blocking the event loop so that no other item reaches the store meanwhile, until
    every full batch before the item is committed; then exactly this item and those after
    the last full batch are only in the store pipeline's buffer.
    """

    def __init__(self, crawler: Any) -> None:
        self.hook = FaultHook.from_env()
        self.batch_size = crawler.settings.getint("NEWSCRAWL_STORE_BATCH_SIZE")
        self.store = StoreExtension.of(crawler)
        self.stored_before = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> FaultPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.stored_before = self._stored()

    def _stored(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM articles")).scalar_one())

    def process_item(self, item: Any) -> Any:
        if self.hook.point == "mid_batch":
            if self.hook.seen + 1 >= self.hook.at:
                committed = self.stored_before + (self.hook.at // self.batch_size) * self.batch_size
                deadline = time.monotonic() + 60
                while self._stored() < committed and time.monotonic() < deadline:
                    time.sleep(0.01)
            self.hook.reached()
        return item
