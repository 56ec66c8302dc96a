"""Fingerprints each article's text once, before the store decides what it duplicates.

The decision itself runs inside the store's write transaction (newscrawl/dedupe/write.py),
where the rows of the same batch are visible; this stage does the CPU work up front, outside
the write lock. With ``NEWSCRAWL_DEDUPE_ENABLED`` off only the content hash is computed (the
store compares it to notice edited articles); no text is judged a copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.config import Config
from newscrawl.dedupe.fingerprint import NO_SIGNATURE, Fingerprint, content_hash
from newscrawl.dedupe.index import NearDuplicateIndex

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

    from newscrawl.items import ArticleItem


def index_from_config(config: Config) -> NearDuplicateIndex:
    """The near-duplicate index as the settings tune it (docs/dedupe.md explains each)."""
    return NearDuplicateIndex(
        threshold=config.near_dup_threshold,
        min_length_ratio=config.near_dup_min_length_ratio,
        min_words=config.near_dup_min_words,
        max_candidates=config.near_dup_max_candidates,
    )


class DedupePipeline:
    def __init__(self, index: NearDuplicateIndex, enabled: bool = True) -> None:
        self.index = index
        self.enabled = enabled

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = Config.of(crawler)
        return cls(index_from_config(config), config.dedupe_enabled)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        text = item.article.text
        if self.enabled:
            item.fingerprint = self.index.fingerprint(text)
        else:
            item.fingerprint = Fingerprint(content_hash(text), NO_SIGNATURE)
        return item
