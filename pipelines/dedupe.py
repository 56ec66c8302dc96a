"""Fingerprints each article's text once, before the store decides what it duplicates.

The decision itself runs inside the store's transaction (pipelines/store.py), where the
rows of the same batch are visible; this stage only does the CPU work up front.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from newscrawl.dedupe.index import (
    DEFAULT_MAX_CANDIDATES,
    DEFAULT_MIN_LENGTH_RATIO,
    DEFAULT_MIN_WORDS,
    DEFAULT_THRESHOLD,
    NearDuplicateIndex,
    content_hash,
)

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from newscrawl.items import ArticleItem


def index_from_settings(settings: BaseSettings) -> NearDuplicateIndex:
    """The near-duplicate index as the settings tune it (docs/dedupe.md explains each)."""
    return NearDuplicateIndex(
        threshold=settings.getfloat("NEWSCRAWL_NEAR_DUP_THRESHOLD", DEFAULT_THRESHOLD),
        min_length_ratio=settings.getfloat(
            "NEWSCRAWL_NEAR_DUP_MIN_LENGTH_RATIO", DEFAULT_MIN_LENGTH_RATIO
        ),
        min_words=settings.getint("NEWSCRAWL_NEAR_DUP_MIN_WORDS", DEFAULT_MIN_WORDS),
        max_candidates=settings.getint("NEWSCRAWL_NEAR_DUP_MAX_CANDIDATES", DEFAULT_MAX_CANDIDATES),
    )


class DedupePipeline:
    def __init__(self, index: NearDuplicateIndex) -> None:
        self.index = index

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSCRAWL_DEDUPE_ENABLED", True):
            raise NotConfigured("NEWSCRAWL_DEDUPE_ENABLED is off")
        return cls(index_from_settings(crawler.settings))

    def process_item(self, item: ArticleItem) -> ArticleItem:
        text = item.article.text
        item.content_hash = content_hash(text)
        item.signature = self.index.signature(text)
        return item
