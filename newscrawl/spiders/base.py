"""What every newscrawl spider shares: polite requests, the article callback, feed, sitemap
and link following, and counting every outcome in the crawl stats.

The kind-specific spiders (feed, sitemap, site, urls, news) only decide where to start.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError

from newscrawl import __version__
from newscrawl.config import is_truthy
from newscrawl.crawl.conditional import ENTRIES_META, LISTED_BY_META, LISTING_META
from newscrawl.crawl.download_errors import error_kind, install_log_filter
from newscrawl.crawl.feeds import (
    Entry,
    FeedError,
    discover_feeds,
    parse_feed,
    parse_sitemap,
    sitemaps_from_robots,
)
from newscrawl.crawl.urls import is_http_url, request_url, same_site
from newscrawl.extraction.article import Article
from newscrawl.extraction.workers import ExtractionWorkers
from newscrawl.items import ArticleItem
from newscrawl.spiders.sources_seen import SourcesSeen

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain", b"application/xml", b"text/xml")


def split_urls(value: str | None) -> list[str]:
    return [u.strip() for u in (value or "").split(",") if u.strip()]


class ArgumentError(ValueError):
    """A spider argument is missing or wrong; the message tells the user how to fix it."""


def check_http_urls(urls: list[str]) -> None:
    bad = [u for u in urls if not is_http_url(u)]
    if bad:
        raise ArgumentError(f"not http(s) URLs with a host: {', '.join(bad[:5])}")


def parse_count(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ArgumentError(f"-a {name}= takes a whole number >= 0, not {value!r}")
    return number


def source_name(target: Target) -> str:
    """A named source of the sources file, else the start URL it came from."""
    return target.source or target.key


@dataclass(slots=True)
class Target:
    """Per-source crawl options, carried in request meta from start page to article."""

    key: str
    source: str | None = None
    since_days: int = 0
    max_pages: int = 500
    max_depth: int = 4
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


class NewsSpider(scrapy.Spider):
    """Base class: subclasses implement :meth:`start_requests_for_args`."""

    # Breadth-first: pages near the start page (fresh sections) before deep archive links.
    custom_settings = {  # noqa: RUF012 (Scrapy's own declaration is a plain dict)
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
    }

    def __init__(
        self,
        *args: Any,
        url: str | None = None,
        since_days: str | None = None,
        refresh: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.urls = split_urls(url)
        self.since_days_arg = since_days
        self.refresh = is_truthy(refresh) if refresh is not None else False
        self.argument_error: str | None = None
        # Pages scheduled per target, for the site crawl's page limit and link dedupe.
        self.scheduled: dict[str, set[str]] = defaultdict(set)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # The contact URL may be set per run, so the User-Agent is built from it here.
        if settings.getpriority("USER_AGENT") in (None, 0, 20):
            contact = settings.get("NEWSCRAWL_CONTACT_URL")
            settings.set("USER_AGENT", f"newscrawl/{__version__} (+{contact})", priority=20)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        install_log_filter()
        spider.arguments = {k: str(v) for k, v in kwargs.items()}
        s = crawler.settings
        spider.min_words = s.getint("NEWSCRAWL_MIN_WORDS", 50)
        spider.max_bytes = s.getint("NEWSCRAWL_MAX_PAGE_BYTES", 5 * 1024 * 1024)
        spider.default_since_days = s.getint("NEWSCRAWL_SINCE_DAYS", 0)
        spider.default_max_pages = s.getint("NEWSCRAWL_MAX_PAGES", 500)
        spider.default_max_depth = s.getint("NEWSCRAWL_MAX_DEPTH", 4)
        spider.workers = ExtractionWorkers(s.getint("NEWSCRAWL_EXTRACT_WORKERS", 0))
        return spider

    def closed(self, reason: str) -> None:
        self.workers.close()

    arguments: dict[str, str]  # the -a arguments, recorded with the run
    workers: ExtractionWorkers
    sources_seen: SourcesSeen | None = None  # sources started and failed: the exit status
    min_words: int = 50
    max_bytes: int = 5 * 1024 * 1024
    default_since_days: int = 0
    default_max_pages: int = 500
    default_max_depth: int = 4

    # --- entry -------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        try:
            requests = list(self.start_requests_for_args())
        except ArgumentError as exc:
            self.argument_error = str(exc)
            logger.error("%s: %s", self.name, exc, extra={"spider": self})
            self.inc("errors/bad_arguments")
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("newscrawl/argument_error", self.argument_error)
            return
        self.sources_seen = SourcesSeen(self.crawler.stats)
        self.sources_seen.started({source_name(r.meta["newscrawl_target"]) for r in requests})
        for request in requests:
            yield request

    def start_requests_for_args(self) -> Iterable[Request]:
        raise NotImplementedError

    def start_urls_or(self, usage: str) -> list[str]:
        """The ``-a url=`` addresses; ``usage`` tells the user how to give them."""
        if not self.urls:
            raise ArgumentError(usage)
        check_http_urls(self.urls)
        return self.urls

    def since_days(self) -> int | None:
        return parse_count(self.since_days_arg, "since_days")

    def target(self, key: str, source: str | None = None, **options: Any) -> Target:
        opts = {k: v for k, v in options.items() if v is not None}
        return Target(
            key=key,
            source=source,
            since_days=opts.get("since_days", self.default_since_days),
            max_pages=opts.get("max_pages", self.default_max_pages),
            max_depth=opts.get("max_depth", self.default_max_depth),
            allow=tuple(opts.get("allow", ())),
            deny=tuple(opts.get("deny", ())),
        )

    # --- stats -------------------------------------------------------------------------------
    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newscrawl/{key}", count)

    def source_failed(self, meta: dict[str, Any], reason: str) -> None:
        target = meta.get("newscrawl_target")
        if self.sources_seen is not None and isinstance(target, Target):
            self.sources_seen.entry_failed(meta, source_name(target), reason)

    # --- requests ----------------------------------------------------------------------------
    def _request(
        self,
        url: str,
        callback: Any,
        target: Target,
        via: str,
        *,
        article: bool,
        depth: int = 0,
        entry: bool = False,
        listed_by: tuple[str, ...] = (),
    ) -> Request:
        return Request(
            request_url(url),
            callback=callback,
            errback=self.on_error,
            meta={
                "newscrawl_target": target,
                "newscrawl_via": via,
                "newscrawl_article": article,
                "newscrawl_depth": depth,
                # A feed, sitemap or start page: its failure is its source's failure.
                "newscrawl_entry": entry,
                LISTED_BY_META: listed_by,
            },
        )

    def article_request(
        self,
        url: str,
        target: Target,
        via: str,
        listed_by: tuple[str, ...] = (),
        *,
        entry: bool = False,
    ) -> Request:
        return self._request(
            url, self.parse_article, target, via, article=True, entry=entry, listed_by=listed_by
        )

    def feed_request(self, url: str, target: Target, listed_by: tuple[str, ...] = ()) -> Request:
        return self.listing_request(url, self.parse_feed, target, "feed", listed_by)

    def sitemap_request(self, url: str, target: Target, listed_by: tuple[str, ...] = ()) -> Request:
        return self.listing_request(url, self.parse_sitemap, target, "sitemap", listed_by)

    def listing_request(
        self, url: str, callback: Any, target: Target, via: str, listed_by: tuple[str, ...]
    ) -> Request:
        """A feed or sitemap: conditional when the store has its validators; its failure is
        its source's failure."""
        request = self._request(
            url, callback, target, via, article=False, entry=True, listed_by=listed_by
        )
        request.meta[LISTING_META] = request.url
        return request

    def listed_by(self, response: Response) -> tuple[str, ...]:
        """The listings that led to what ``response`` lists: its own and its parents'."""
        own = response.meta.get(LISTING_META)
        return (*response.meta.get(LISTED_BY_META, ()), *((own,) if own else ()))

    def page_request(self, url: str, target: Target, depth: int = 0) -> Request:
        # Start pages of a site crawl are fetched every run; deeper pages may be stored
        # articles, which the incremental filter then skips.
        return self._request(
            url, self.parse_page, target, "site", article=depth > 0, depth=depth, entry=depth == 0
        )

    def site_start(self, target: Target, url: str) -> Request:
        self.scheduled[target.key].add(request_url(url))
        return self.page_request(url, target, 0)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, HttpError):
            return  # robots.txt and the incremental filter count their own skips
        kind = error_kind(failure.value)
        self.inc(f"errors/{kind}")
        logger.warning(
            "Could not fetch %s: %s", request.url, failure.getErrorMessage(),
            extra={"spider": self},
        )  # fmt: skip
        self.source_failed(request.meta, f"{kind} {request.url}")

    # --- articles ----------------------------------------------------------------------------
    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        result = await self.extract(response)
        if isinstance(result, Article):
            yield self.item(response, result)

    async def extract(self, response: Response) -> Article | str:
        """The article on the page, or the reason there is none (already counted)."""
        self.inc("pages/fetched")
        if not isinstance(response, TextResponse) or not self._is_html(response):
            content_type = response.headers.get("Content-Type") or b"no Content-Type"
            return self._skip(response, "not_html", content_type.decode("latin-1"))
        result = await self.workers.extract(
            response.text, response.url, min_words=self.min_words, max_bytes=self.max_bytes
        )
        if isinstance(result, Article):
            self.inc("extract/ok")
            return result
        return self._skip(response, result.reason, result.detail)

    def _is_html(self, response: TextResponse) -> bool:
        content_type = (response.headers.get("Content-Type") or b"text/html").lower()
        return content_type.startswith(HTML_TYPES)

    def _skip(self, response: Response, reason: str, detail: object = None) -> str:
        self.inc(f"skipped/{reason}")
        logger.info(
            "Skipped %s: %s%s", response.url, reason, f" ({detail!s})" if detail else "",
            extra={"spider": self},
        )  # fmt: skip
        return reason

    def item(self, response: Response, article: Article) -> ArticleItem:
        target: Target = response.meta.get("newscrawl_target") or self.target(response.url)
        source = target.source or article.domain
        aliases = [*response.meta.get("redirect_urls", []), response.url]
        return ArticleItem(
            article=replace(article, source=source),
            fetched_at=datetime.now(UTC),
            aliases=list(dict.fromkeys(aliases)),
            via=response.meta.get("newscrawl_via"),
            page=response.body,
        )

    # --- feeds -------------------------------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[Request]:
        target: Target = response.meta["newscrawl_target"]
        try:
            entries = parse_feed(response.body, response.url)
        except FeedError as exc:
            feeds = (
                discover_feeds(response.body, response.url) if self._looks_html(response) else []
            )
            if feeds and not response.meta.get("newscrawl_discovered"):
                logger.info("%s is a page; following its feeds %s", response.url, feeds)
                for url in feeds:
                    request = self.feed_request(url, target, self.listed_by(response))
                    request.meta["newscrawl_discovered"] = True
                    yield request
                return
            self.inc("feeds/invalid")
            logger.warning("Not a usable feed: %s (%s)", response.url, exc, extra={"spider": self})
            self.source_failed(response.meta, f"not_a_feed {response.url}")
            return
        self.inc("feeds/parsed")
        response.meta[ENTRIES_META] = True
        for entry in self.recent(entries, target, "feeds"):
            self.inc("feeds/entries")
            yield self.article_request(entry.url, target, "feed", self.listed_by(response))

    # --- sitemaps ----------------------------------------------------------------------------
    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        target: Target = response.meta["newscrawl_target"]
        if response.url.rstrip("/").endswith("/robots.txt"):
            text = (
                response.text
                if isinstance(response, TextResponse)
                else response.body.decode("utf-8", "replace")
            )
            found = sitemaps_from_robots(text, response.url)
            if not found:
                self.inc("sitemaps/invalid")
                logger.warning("No Sitemap: lines in %s", response.url, extra={"spider": self})
                self.source_failed(response.meta, f"no_sitemaps {response.url}")
            for url in found:
                yield self.sitemap_request(url, target, self.listed_by(response))
            return
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except FeedError as exc:
            self.inc("sitemaps/invalid")
            logger.warning(
                "Not a usable sitemap: %s (%s)", response.url, exc, extra={"spider": self}
            )
            self.source_failed(response.meta, f"not_a_sitemap {response.url}")
            return
        self.inc("sitemaps/parsed")
        entries = list(self.sitemap_filter(sitemap.entries, target))
        listed_by = self.listed_by(response)
        if sitemap.kind == "sitemapindex":
            for entry in entries:
                yield self.sitemap_request(entry.url, target, listed_by)
            return
        response.meta[ENTRIES_META] = True
        for entry in entries:
            self.inc("sitemaps/entries")
            yield self.article_request(entry.url, target, "sitemap", listed_by)

    def sitemap_filter(self, entries: list[Entry], target: Target) -> Iterator[Entry]:
        """The hook to override for other sitemap rules; by default only recent entries."""
        return self.recent(entries, target, "sitemaps")

    def recent(self, entries: list[Entry], target: Target, kind: str) -> Iterator[Entry]:
        """Entries dated within the target's ``since_days`` (all when 0; undated kept)."""
        if not target.since_days:
            yield from entries
            return
        cutoff = datetime.now(UTC) - timedelta(days=target.since_days)
        for entry in entries:
            if entry.published and entry.published < cutoff:
                self.inc(f"{kind}/entries_too_old")
                continue
            yield entry

    # --- sites -------------------------------------------------------------------------------
    async def parse_page(self, response: Response) -> AsyncIterator[ArticleItem | Request]:
        result = await self.extract(response)
        if isinstance(result, Article):
            yield self.item(response, result)
        # Links are followed from articles too: a section page mistaken for an article must
        # not hide what is linked only from it. Breadth-first order, the page budget and the
        # incremental filter keep the crawl near the start page.
        if isinstance(response, TextResponse) and self._looks_html(response):
            for request in self.follow_links(response):
                yield request

    def follow_links(self, response: TextResponse) -> Iterator[Request]:
        target: Target = response.meta["newscrawl_target"]
        depth = response.meta.get("newscrawl_depth", 0) + 1
        if depth > target.max_depth:
            self.inc("site/depth_limit")
            return
        # Same-site filtering is ours: LinkExtractor's allow_domains compares host:port.
        extractor = LinkExtractor(deny=[*target.deny, *NON_CONTENT_PATHS], unique=True)
        allow = [re.compile(p) for p in target.allow]
        scheduled = self.scheduled[target.key]
        for link in extractor.extract_links(response):
            if not same_site(link.url, response.url):
                continue
            url = request_url(link.url)
            if url in scheduled:
                continue
            if allow and not any(p.search(url) for p in allow):
                self.inc("site/links_not_allowed")
                continue
            if len(scheduled) >= target.max_pages:
                self.inc("site/page_limit")
                return
            scheduled.add(url)
            yield self.page_request(url, target, depth)

    def _looks_html(self, response: Response) -> bool:
        return isinstance(response, TextResponse) and b"<html" in response.body[:4096].lower()


# Links that never lead to articles: accounts, search, feeds, share intents.
NON_CONTENT_PATHS = (
    r"/(login|logout|signin|sign-in|register|subscribe|account|cart|checkout)(/|$|\?)",
    r"/search(/|$|\?)",
    r"[?&](share|print|replytocom)=",
    r"/(feed|rss|atom)(\.xml)?/?$",
    r"\.(xml|rss|atom|json)(\?|$)",
)
