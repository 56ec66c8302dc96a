"""Spider callbacks run in process: a spider built through Scrapy's own factory, fed the
demo sites' files as Scrapy responses (the same bytes their server answers with)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy.http import Request
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

from newscrawl import settings as project_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from scrapy.http import Response
    from sites import SiteServer

    from newscrawl.spiders.base import NewscrawlSpider

# newscrawl's settings as a crawl has them; extraction in process, so callbacks are plain;
# and a sitemap's entries yielded as requests at once, since no scheduler asks for them here
# (tests/test_sitemap_pacing.py crawls with them held back).
SETTINGS = {
    **{name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()},
    "NEWSCRAWL_EXTRACT_WORKERS": "0",
    "NEWSCRAWL_SCHEDULE_AHEAD": "0",
}


S = TypeVar("S", bound="NewscrawlSpider")


def spider_of(cls: type[S], settings: dict[str, Any] | None = None, **arguments: str) -> S:
    crawler = get_crawler(cls, {**SETTINGS, **(settings or {})})
    spider = cls.from_crawler(crawler, **arguments)
    crawler.spider = spider
    return spider


def stats(spider: NewscrawlSpider) -> dict[str, Any]:
    assert spider.crawler.stats is not None
    return {
        key.removeprefix("newscrawl/"): value
        for key, value in spider.crawler.stats.get_stats().items()
        if key.startswith("newscrawl/")
    }


def start(spider: NewscrawlSpider) -> list[Request]:
    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def answer(server: SiteServer, path: str, request: Request | None = None) -> Response:
    """What ``server`` answers for ``path``, as the response to ``request``."""
    url = server.url(path)
    request = request or Request(url)
    status, headers, body = server.resolve(path)
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=status, headers=headers, body=body, request=request)


def follow(server: SiteServer, request: Request) -> Response:
    """The response to a request the spider made, its meta attached as Scrapy does."""
    return answer(server, request.url.removeprefix(server.base_url), request)


def outputs(results: Any) -> list[Any]:
    """A callback's output, sync or async."""
    if hasattr(results, "__aiter__"):
        iterator: AsyncIterator[Any] = results

        async def collect() -> list[Any]:
            return [item async for item in iterator]

        return asyncio.run(collect())
    listed: Iterable[Any] = results or ()
    return list(listed)


def paths(server: SiteServer, requests: Iterable[Request]) -> list[str]:
    return [request.url.removeprefix(server.base_url) for request in requests]
