"""Finding articles in sitemaps (indexes, .xml.gz, Google News, robots.txt), and the
``sitemap`` spider."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.http import TextResponse

from newscrawl.crawl.feeds import FeedError, parse_sitemap, sitemaps_from_robots
from newscrawl.spiders.base import NewscrawlSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request, Response

    from newscrawl.crawl.feeds import Entry
    from newscrawl.crawl.sources import Source

logger = logging.getLogger(__name__)


class SitemapReading(NewscrawlSpider):
    """Each URL of a sitemap is an article; an index and robots.txt lead to sitemaps."""

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        source = self.source_of(response)
        if response.url.rstrip("/").endswith("/robots.txt"):
            yield from self.parse_robots(response, source)
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
        self.count_unusable(response, sitemap.unusable, "sitemaps")
        entries = list(self.sitemap_filter(sitemap.entries, source))
        listed_by = self.listed_by(response)
        if sitemap.kind == "sitemapindex":
            for entry in entries:
                yield self.sitemap_request(entry.url, source, listed_by)
            return
        self.all_entries_followed(response)
        if entries:
            self.inc("sitemaps/entries", len(entries))
        yield from self.pending.add([entry.url for entry in entries], source, "sitemap", listed_by)

    def parse_robots(self, response: Response, source: Source) -> Iterator[Request]:
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
            yield self.sitemap_request(url, source, self.listed_by(response))

    def sitemap_request(self, url: str, source: Source, listed_by: tuple[str, ...] = ()) -> Request:
        return self.listing_request(url, self.parse_sitemap, source, "sitemap", listed_by)

    def sitemap_filter(self, entries: list[Entry], source: Source) -> Iterator[Entry]:
        """The hook to override for other sitemap rules; by default only recent entries."""
        return self.recent(entries, source, "sitemaps")


class SitemapSpider(SitemapReading):
    """A sitemap, sitemap index, .xml.gz, Google News sitemap, or a robots.txt.

    Example: scrapy crawl sitemap -a url=https://example.com/robots.txt -a since_days=2
    """

    name = "sitemap"

    def start_requests_for_args(self) -> Iterator[Request]:
        usage = "give the sitemap address: scrapy crawl sitemap -a url=URL"
        since_days = self.count_argument("since_days")
        for source in self.url_sources("sitemap", usage, since_days=since_days):
            yield self.sitemap_request(source.urls[0], source)
