from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.spiders.base import NewsSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request


class FeedSpider(NewsSpider):
    """RSS 2.0, Atom and RDF feeds; each entry's page is extracted.

    Example: scrapy crawl feed -a url=https://feeds.bbci.co.uk/news/rss.xml -a since_days=1
    """

    name = "feed"

    def start_requests_for_args(self) -> Iterator[Request]:
        urls = self.start_urls_or("give the feed address: scrapy crawl feed -a url=URL[,URL...]")
        since = self.since_days()
        for url in urls:
            yield self.feed_request(url, self.target(url, since_days=since))
