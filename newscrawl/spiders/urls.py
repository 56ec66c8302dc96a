from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.spiders.base import ArgumentError, NewsSpider, check_http_urls

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request


class UrlsSpider(NewsSpider):
    """Exactly the given article pages: -a url=URL[,URL...] or -a file=PATH (one per line).

    Example: scrapy crawl urls -a file=todo.txt -a refresh=1
    """

    name = "urls"

    def __init__(self, file: str | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.file = file

    def start_requests_for_args(self) -> Iterator[Request]:
        urls = list(self.urls)
        if self.file:
            try:
                lines = Path(self.file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ArgumentError(f"cannot read -a file={self.file}: {exc}") from exc
            urls += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        if not urls:
            raise ArgumentError("give pages: scrapy crawl urls -a url=URL[,URL...] or -a file=PATH")
        check_http_urls(urls)
        for url in urls:
            # Each page given is a source of its own: a 404 fails the run's exit status.
            yield self.article_request(url, self.target(url), "urls", entry=True)
