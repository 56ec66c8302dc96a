from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.crawl.sources import SourcesError, load_sources, select_sources
from newscrawl.spiders.base import ArgumentError, NewsSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request


class NewsSourcesSpider(NewsSpider):
    """Every source in a sources file (default data/sources.toml).

    Example: scrapy crawl news -a only=bbc,guardian
    """

    name = "news"

    def __init__(
        self, sources: str | None = None, only: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.sources_path = sources
        self.only = only

    def start_requests_for_args(self) -> Iterator[Request]:
        path = self.sources_path or self.settings.get("NEWSCRAWL_SOURCES") or None
        try:
            sources = select_sources(load_sources(path), self.only)
        except SourcesError as exc:
            raise ArgumentError(str(exc)) from exc
        for source in sources:
            target = self.target(
                source.name,
                source.name,
                since_days=source.since_days,
                max_pages=source.max_pages,
                max_depth=source.max_depth,
                allow=source.allow,
                deny=source.deny,
            )
            for url in source.urls:
                if source.kind == "feed":
                    yield self.feed_request(url, target)
                elif source.kind == "sitemap":
                    yield self.sitemap_request(url, target)
                else:
                    yield self.site_start(target, url)
