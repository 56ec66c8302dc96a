"""A shared frontier on Redis: several crawl processes, on one machine or many, share one
request queue and one request filter (scrapy-redis's), so each page is fetched once.

Turned on by ``NEWSCRAWL_REDIS_URL`` through the :class:`SharedFrontier` add-on, which swaps
Scrapy's scheduler for :class:`SharedScheduler` when the crawler starts. The run semantics
for cron (docs/deployment.md):

- A *run* of the frontier lasts while at least one worker is in it. The first worker to join
  an empty frontier starts a new run: it clears the request filter and queue left by the last
  run (a killed one leaves them), so every run fetches its feeds and sitemaps again. Workers
  joining a live run find their seeds already seen and take work from the shared queue.
- A worker whose own work is done stays while another worker is still busy (its pages may
  list more); the last worker to leave clears the run's keys. Nobody flushes the queue
  under the others' feet. A killed worker stops counting after :data:`STALE_S` seconds
  without a heartbeat.
- The request filter is a memory of this run only; the store's incremental filter (deltafetch)
  is the long-term one.
- Keys are ``<NEWSCRAWL_FRONTIER_NAME>:<spider>:<what>``, so two deployments or jobs on one
  Redis keep apart, and a queue only holds requests of the spider that reads it.

scrapy-redis's own Scheduler is not used: it flushes the shared queue when the first worker
closes, and passes ``spider=`` to the stats collector (deprecated since Scrapy 2.14); its
stats collector crashes at close. Its queue and request filter are used as they are.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING, Any, Final, Self
from urllib.parse import urlsplit, urlunsplit

from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.asyncio import create_looping_call

from newscrawl.config import Config
from newscrawl.crawl.frontier_workers import WorkerRoll

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings, Settings

logger = logging.getLogger(__name__)

# Also how soon a worker waiting for the others notices new requests in the shared queue.
HEARTBEAT_S: Final = 1.0
# A worker silent this long is taken as gone (killed, its machine down): long enough for an
# event loop busy with a slow page, short enough that the others do not wait for long.
STALE_S: Final = 30
CONNECT_TIMEOUT_S: Final = 10.0
# The reason a worker that lost Redis closes with; its run is recorded as failed (exit 1).
LOST_REASON: Final = "frontier_lost"


class FrontierError(Exception):
    """The shared frontier cannot be used; ``str()`` is the one line to show."""


def safe_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str) -> Any:
    """A Redis client for ``url`` (bytes in and out, as scrapy-redis's queue wants)."""
    try:
        import redis
        import scrapy_redis  # noqa: F401  (its queue and filter are loaded by the scheduler)
    except ImportError as exc:
        raise FrontierError(
            "NEWSCRAWL_REDIS_URL needs the cluster extra: pip install 'newscrawl[cluster]'"
        ) from exc
    try:
        return redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=30, retry_on_timeout=True
        )
    except ValueError as exc:
        raise FrontierError(
            f"NEWSCRAWL_REDIS_URL is not a Redis URL: {safe_url(url)} ({exc})"
        ) from exc


def check_frontier(settings: BaseSettings) -> None:
    """Before the crawl starts: the extra is installed and Redis answers, or one line why."""
    url = Config.from_settings(settings).redis_url
    if not url:
        return
    import redis

    client = connect(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise FrontierError(f"cannot reach the shared frontier at {safe_url(url)}: {exc}") from exc
    finally:
        client.close()


class SharedFrontier:
    """Scrapy add-on: the shared scheduler when ``NEWSCRAWL_REDIS_URL`` is set, else nothing."""

    def update_settings(self, settings: Settings) -> None:
        if Config.from_settings(settings).redis_url:
            settings.set("SCHEDULER", f"{__name__}.SharedScheduler", priority="addon")


class SharedScheduler:
    """Scrapy's scheduler interface over scrapy-redis's priority queue and request filter."""

    def __init__(self, crawler: Crawler, client: Any, prefix: str, url: str) -> None:
        self.crawler = crawler
        self.client = client
        self.prefix = prefix  # "<frontier name>:" : the spider's name is added at open
        self.url = url
        # host:pid names the process for people watching; the suffix keeps two crawlers of
        # one process (a script running several) apart.
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.spider: Spider | None = None
        self.queue: Any = None
        self.seen: Any = None
        self.roll: WorkerRoll | None = None
        self.idle = False
        self.lost = False
        self.waiting_logged = False
        self.heartbeat = create_looping_call(self.beat)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = Config.of(crawler)
        try:
            client = connect(config.redis_url)
        except FrontierError as exc:
            raise RuntimeError(str(exc)) from exc
        scheduler = cls(crawler, client, f"{config.frontier_name}:", config.redis_url)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    # -- the run ---------------------------------------------------------------------------
    def open(self, spider: Spider) -> None:
        from scrapy_redis.dupefilter import RFPDupeFilter
        from scrapy_redis.queue import PriorityQueue

        self.spider = spider
        keys = f"{self.prefix}{spider.name}"
        self.queue = PriorityQueue(self.client, spider, f"{keys}:requests")
        debug = self.crawler.settings.getbool("DUPEFILTER_DEBUG")
        self.seen = RFPDupeFilter(self.client, f"{keys}:seen", debug=debug)
        self.roll = WorkerRoll(self.client, keys, self.worker, STALE_S)
        others = self.roll.join(self.queue.key, self.seen.key)
        self.stat("workers_at_start", others + 1, set_=True)
        self.stat("started_run", int(others == 0), set_=True)
        if others:
            logger.info(
                "Joined the shared frontier %s at %s: %d other worker(s) in this run, %d "
                "requests queued", keys, safe_url(self.url), others, len(self.queue),
            )  # fmt: skip
        else:
            logger.info("Started a new run of the shared frontier %s at %s", keys,
                        safe_url(self.url))  # fmt: skip
        self.heartbeat.start(HEARTBEAT_S, now=False)

    def close(self, reason: str) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()
        try:
            self._leave()
        finally:
            self.client.close()

    def _leave(self) -> None:
        if self.roll is None or self.lost:
            return
        try:
            left = self.roll.leave(self.queue.key, self.seen.key)
        except self.redis_errors() as exc:
            logger.warning("Could not leave the shared frontier cleanly: %s", exc)
            return
        if left:
            logger.info("Left the shared frontier; %d worker(s) still in this run", left)
        else:
            logger.info("Last worker of this run: cleared the frontier's queue and filter")

    def beat(self) -> None:
        if self.roll is None or self.lost:
            return
        try:
            self.roll.beat(idle=self.idle)
            if self.idle:
                self.wake_engine()
        except self.redis_errors() as exc:
            self.lose(exc)

    def wake_engine(self) -> None:
        """While this worker waits, look again now: for requests another worker queued, or
        for the others having left. An idle engine only looks on its own 5-second heartbeat;
        this is the call that heartbeat makes (no public API for it; without it, the
        heartbeat still does)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def spider_idle(self, spider: Spider) -> None:
        """Stay while another worker is busy: the pages it is on may list more to fetch."""
        if self.lost:
            raise CloseSpider(LOST_REASON)
        if self.roll is None:
            return
        self.idle = True
        try:
            busy = self.roll.busy_others()
        except self.redis_errors() as exc:
            self.lose(exc)
            raise CloseSpider(LOST_REASON) from exc
        if busy:
            if not self.waiting_logged:
                logger.info("Done here; waiting while %d other worker(s) work", busy)
                self.waiting_logged = True
            raise DontCloseSpider

    # -- the queue -------------------------------------------------------------------------
    def has_pending_requests(self) -> bool:
        if self.lost or self.queue is None:
            return False
        try:
            return len(self.queue) > 0
        except self.redis_errors() as exc:
            self.lose(exc)
            return False

    def enqueue_request(self, request: Request) -> bool:
        if self.lost:
            return False
        try:
            if not request.dont_filter and self.seen.request_seen(request):
                self.seen.log(request, self.spider)  # the first one, or all with DUPEFILTER_DEBUG
                self.stat("duplicates")
                return False
            self.queue.push(request)
        except self.redis_errors() as exc:
            self.lose(exc)
            return False
        self.stat("enqueued")
        return True

    def next_request(self) -> Request | None:
        if self.lost or self.queue is None:
            return None
        try:
            request: Request | None = self.queue.pop()
            if request is not None and self.idle:
                self.idle = False
                self.waiting_logged = False
                assert self.roll is not None
                self.roll.beat(idle=False)
        except self.redis_errors() as exc:
            self.lose(exc)
            return None
        if request is not None:
            self.stat("dequeued")
        return request

    # -- helpers ---------------------------------------------------------------------------
    def lose(self, exc: Exception) -> None:
        """Redis went away mid-run: stop this worker (the run is recorded as failed)."""
        if not self.lost:
            self.lost = True
            self.stat("errors")
            logger.error(
                "Lost the shared frontier at %s (%s); stopping this worker, requests it had "
                "not fetched are fetched by the next run", safe_url(self.url), exc,
            )  # fmt: skip

    @staticmethod
    def redis_errors() -> type[Exception]:
        import redis

        error: type[Exception] = redis.RedisError
        return error

    def stat(self, key: str, value: int = 1, *, set_: bool = False) -> None:
        stats = self.crawler.stats
        assert stats is not None
        if set_:
            stats.set_value(f"newscrawl/frontier/{key}", value)
        else:
            stats.inc_value(f"newscrawl/frontier/{key}", value)

    def __len__(self) -> int:
        return len(self.queue) if self.queue is not None and not self.lost else 0
