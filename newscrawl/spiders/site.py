"""Finding articles by following same-site links from a start page, and the ``site`` spider."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING

from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor

from newscrawl.crawl.urls import request_url, same_site
from newscrawl.extraction.article import Article
from newscrawl.spiders.base import NewscrawlSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.http import Request, Response

    from newscrawl.crawl.sources import Source
    from newscrawl.items import ArticleItem

# Links that never lead to articles: accounts, search, feeds, share intents.
NON_CONTENT_PATHS = (
    r"/(login|logout|signin|sign-in|register|subscribe|account|cart|checkout)(/|$|\?)",
    r"/search(/|$|\?)",
    r"[?&](share|print|replytocom)=",
    r"/(feed|rss|atom)(\.xml)?/?$",
    r"\.(xml|rss|atom|json)(\?|$)",
)


class SiteFollowing(NewscrawlSpider):
    """Every page is extracted and its same-site links followed, within the source's page
    budget (``max_pages``) and link hops (``max_depth``)."""

    @cached_property
    def scheduled(self) -> dict[str, set[str]]:
        """Pages scheduled per source: its page budget, and links not requested twice."""
        return defaultdict(set)

    def site_start(self, url: str, source: Source) -> Request:
        self.scheduled[source.name].add(request_url(url))
        return self.page_request(url, source, 0)

    def page_request(self, url: str, source: Source, depth: int) -> Request:
        # Start pages are fetched every run; deeper pages may be stored articles, which the
        # incremental filter then skips.
        return self.request(
            url, self.parse_page, source, "site", article=depth > 0, depth=depth, entry=depth == 0
        )

    async def parse_page(self, response: Response) -> AsyncIterator[ArticleItem | Request]:
        result = await self.extract(response)
        if isinstance(result, Article):
            yield self.item(response, result)
        # Links are followed from articles too: a section page mistaken for an article must
        # not hide what is linked only from it. Breadth-first order, the page budget and the
        # incremental filter keep the crawl near the start page.
        if isinstance(response, TextResponse) and self.looks_html(response):
            for request in self.follow_links(response):
                yield request

    def follow_links(self, response: TextResponse) -> Iterator[Request]:
        source = self.source_of(response)
        depth = response.meta.get("newscrawl_depth", 0) + 1
        if depth > source.max_depth:
            self.inc("site/depth_limit")
            return
        # Same-site filtering is ours: LinkExtractor's allow_domains compares host:port.
        extractor = LinkExtractor(deny=[*source.deny, *NON_CONTENT_PATHS], unique=True)
        allow = [re.compile(p) for p in source.allow]
        scheduled = self.scheduled[source.name]
        for link in extractor.extract_links(response):
            if not same_site(link.url, response.url):
                continue
            url = request_url(link.url)
            if url in scheduled:
                continue
            if allow and not any(p.search(url) for p in allow):
                self.inc("site/links_not_allowed")
                continue
            if len(scheduled) >= source.max_pages:
                self.inc("site/page_limit")
                return
            scheduled.add(url)
            yield self.page_request(url, source, depth)


class SiteSpider(SiteFollowing):
    """Follows same-site links from a start page, breadth first.

    Article pages are stored; section, index, tag and other non-article pages are only
    followed. Example: scrapy crawl site -a url=https://example.com/ -a max_pages=200
    """

    name = "site"

    def start_requests_for_args(self) -> Iterator[Request]:
        usage = "give the start page: scrapy crawl site -a url=URL"
        limits = {name: self.count_argument(name) for name in ("max_pages", "max_depth")}
        for source in self.url_sources("site", usage, **limits):
            yield self.site_start(source.urls[0], source)
