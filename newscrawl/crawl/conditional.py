"""Conditional requests for feeds and sitemaps: an unchanged listing answers 304 and costs nothing.

The ETag and Last-Modified of each feed and sitemap are kept in the store's ``validators``
table and sent back as If-None-Match / If-Modified-Since; a ``304 Not Modified`` ends that
listing there, so nothing it lists is fetched again. Only feeds and sitemaps of pages keep
validators (see ENTRIES_META). Validators are saved only when a run
finished cleanly and everything the listing led to was fetched and stored: otherwise a 304
next run would hide the articles this run failed to get. See docs/faults.md.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from newscrawl.config import Config, is_truthy
from newscrawl.store.schema import (
    BUSY_TIMEOUT_S,
    ValidatorRow,
    make_engine,
    resolve_db_url,
    store_unavailable,
    utcnow,
)

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

# Set by the spiders: the listing a request fetches, and the listings that led to it.
LISTING_META = "newscrawl_listing"
LISTED_BY_META = "newscrawl_listed_by"
# Set by the spiders on a listing whose entries were all scheduled: a feed, or a sitemap of
# pages. Only those keep validators: robots.txt, a sitemap index or a page advertising feeds
# may stay the same while the listings they point to change, so they are fetched every run.
ENTRIES_META = "newscrawl_listing_entries"
RETRYABLE_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))


class NotModifiedError(IgnoreRequest):
    """The listing is unchanged since the last complete run."""


class ConditionalRequests:
    def __init__(self, crawler: Crawler, db_url: str, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.busy_timeout = busy_timeout
        self.engine: Engine | None = None
        self.refresh = False
        # listing -> (etag, last_modified, the request's meta) of this run's 2xx answers
        self.answers: dict[str, tuple[str | None, str | None, dict[str, Any]]] = {}
        self.unchanged: set[str] = set()
        self.incomplete: dict[str, str] = defaultdict(str)  # listing -> why it is withheld

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = Config.of(crawler)
        if not config.conditional_enabled:
            raise NotConfigured("NEWSCRAWL_CONDITIONAL_ENABLED is off")
        middleware = cls(crawler, resolve_db_url(config.db or None), config.busy_timeout)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.refresh = is_truthy(getattr(spider, "refresh", False))
        self.engine = make_engine(self.db_url, busy_timeout=self.busy_timeout)

    # --- requests and answers ------------------------------------------------------------------
    def process_request(self, request: Request) -> None:
        listing = request.meta.get(LISTING_META)
        if not listing or self.refresh or self.engine is None:
            return
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return  # a redirect hop carries the headers already
        try:
            with self.engine.connect() as conn:
                row = conn.execute(select(ValidatorRow).where(ValidatorRow.url == listing)).first()
        except SQLAlchemyError:
            logger.warning("Could not read the validators of %s; fetching it in full", listing,
                           exc_info=True)  # fmt: skip
            self._inc("error")
            return
        if row is None:
            return
        if row.etag:
            request.headers["If-None-Match"] = row.etag
        if row.last_modified:
            request.headers["If-Modified-Since"] = row.last_modified
        self._inc("sent")

    def process_response(self, request: Request, response: Response) -> Response:
        listing = request.meta.get(LISTING_META)
        if listing and response.status == 304:
            self.unchanged.add(listing)
            self._inc("not_modified")
            logger.info("Not modified since the last complete run: %s", listing,
                        extra={"spider": self.crawler.spider})  # fmt: skip
            raise NotModifiedError(f"not modified: {listing}")
        if response.status in RETRYABLE_STATUS:
            self._withhold(request, f"HTTP {response.status} on {request.url}")
        elif listing and 200 <= response.status < 300:
            headers = response.headers
            etag, modified = headers.get("ETag"), headers.get("Last-Modified")
            self.answers[listing] = (
                etag.decode("latin-1") if etag else None,
                modified.decode("latin-1") if modified else None,
                request.meta,
            )
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if not isinstance(exception, IgnoreRequest):  # robots.txt, deltafetch: not failures
            self._withhold(request, f"{type(exception).__name__} on {request.url}")

    def _withhold(self, request: Request, why: str) -> None:
        for listing in (*request.meta.get(LISTED_BY_META, ()), request.meta.get(LISTING_META)):
            if listing and not self.incomplete[listing]:
                self.incomplete[listing] = why
                if listing in self.answers:  # counted now: run stats are recorded before close
                    self._inc("withheld")

    # --- saving --------------------------------------------------------------------------------
    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.engine is None:
            return
        try:
            self._save(reason)
        except SQLAlchemyError as exc:
            # Not saving is safe: the next run fetches every listing in full.
            unavailable = store_unavailable(exc)
            logger.warning("Could not save the validators of feeds and sitemaps%s",
                           f": {unavailable}" if unavailable else "",
                           exc_info=unavailable is None)  # fmt: skip
        finally:
            self.engine.dispose()
            self.engine = None

    def _save(self, reason: str) -> None:
        assert self.engine is not None
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        if reason != "finished" or stats.get("newscrawl/store/failed"):
            why = f"the run ended with {reason!r}" if reason != "finished" else "store failures"
            for listing in self.answers:
                self.incomplete[listing] = self.incomplete[listing] or why
        now = utcnow()
        saved = 0
        with self.engine.begin() as conn:
            for listing, (etag, modified, meta) in self.answers.items():
                if not meta.get(ENTRIES_META):
                    continue
                if self.incomplete[listing]:
                    logger.info("Validators of %s not saved: %s", listing,
                                self.incomplete[listing])  # fmt: skip
                    continue
                saved += self._store(conn, listing, etag, modified, now)
            if self.unchanged:
                conn.execute(
                    update(ValidatorRow)
                    .where(ValidatorRow.url.in_(sorted(self.unchanged)))
                    .values(checked_at=now)
                )
        logger.info("Saved the validators of %d feeds and sitemaps", saved)

    def _store(
        self, conn: Connection, listing: str, etag: str | None, modified: str | None, now: Any
    ) -> int:
        conn.execute(delete(ValidatorRow).where(ValidatorRow.url == listing))
        if not etag and not modified:
            return 0
        conn.execute(
            insert(ValidatorRow).values(url=listing, etag=etag, last_modified=modified,
                                        checked_at=now)
        )  # fmt: skip
        return 1

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newscrawl/conditional/{key}")
