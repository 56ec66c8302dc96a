"""The item every spider yields and every pipeline receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newscrawl.dedupe.fingerprint import Fingerprint
from newscrawl.extraction.article import Article


@dataclass(slots=True)
class ArticleItem:
    """An extracted article plus where and when the crawl found it.

    ``aliases`` are the addresses that led to it (request before redirects, final response
    URL, declared canonical); the store records them so later runs skip them.
    """

    article: Article
    fetched_at: datetime
    aliases: list[str] = field(default_factory=list)
    via: str | None = None  # feed, sitemap, site or urls: how the crawl reached the page
    page: bytes | None = None  # the page as fetched, kept by the store for re-extraction
    # Filled by the dedupe pipeline, outside the database transaction, once per article.
    fingerprint: Fingerprint | None = None
