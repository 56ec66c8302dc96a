"""Finding articles in feeds (RSS 2.0, Atom, RDF), and the ``feed`` spider."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from newscrawl.crawl.feeds import FeedError, discover_feeds, parse_feed
from newscrawl.spiders.base import NewscrawlSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request, Response

    from newscrawl.crawl.sources import Source

logger = logging.getLogger(__name__)


class FeedReading(NewscrawlSpider):
    """Each entry of a feed is an article; a page given as a feed is searched for its feeds."""

    def feed_request(self, url: str, source: Source, listed_by: tuple[str, ...] = ()) -> Request:
        return self.listing_request(url, self.parse_feed, source, "feed", listed_by)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        source = self.source_of(response)
        try:
            feed = parse_feed(response.body, response.url)
        except FeedError as exc:
            feeds = discover_feeds(response.body, response.url) if self.looks_html(response) else []
            if feeds and not response.meta.get("newscrawl_discovered"):
                logger.info("%s is a page; following its feeds %s", response.url, feeds)
                for url in feeds:
                    request = self.feed_request(url, source, self.listed_by(response))
                    request.meta["newscrawl_discovered"] = True
                    yield request
                return
            self.inc("feeds/invalid")
            logger.warning("Not a usable feed: %s (%s)", response.url, exc, extra={"spider": self})
            self.source_failed(response.meta, f"not_a_feed {response.url}")
            return
        self.inc("feeds/parsed")
        self.count_unusable(response, feed.unusable, "feeds")
        self.all_entries_followed(response)
        for entry in self.recent(feed.entries, source, "feeds"):
            self.inc("feeds/entries")
            yield self.article_request(entry.url, source, "feed", self.listed_by(response))


class FeedSpider(FeedReading):
    """RSS 2.0, Atom and RDF feeds; each entry's page is extracted.

    Example: scrapy crawl feed -a url=https://feeds.bbci.co.uk/news/rss.xml -a since_days=1
    """

    name = "feed"

    def start_requests_for_args(self) -> Iterator[Request]:
        usage = "give the feed address: scrapy crawl feed -a url=URL[,URL...]"
        for source in self.url_sources("feed", usage, since_days=self.count_argument("since_days")):
            yield self.feed_request(source.urls[0], source)
