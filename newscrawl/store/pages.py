"""Fetched pages kept beside their articles (table ``article_pages``), compressed.

The store pipeline keeps the page each article's text came from, so that a better
extractor can be re-run over the store (``newscrawl reextract``) without crawling again.
Bodies are Zstandard frames; bodies written by earlier newscrawl are zlib streams, which
:func:`page_body` reads too (a zlib header never starts with Zstandard's magic number).
"""

from __future__ import annotations

import sys
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import bindparam, delete, func, insert, select

from newscrawl.store.schema import ARTICLE_PAGES, ArticlePageRow

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection

# Zstandard level 1: on the 181 real pages of the ScrapingHub set (174 KB on average) it took
# 0.81 ms a page for 20.9% of the fetched size, where zlib took 2.50 ms at level 1 (23.5%)
# and zstd 1.11 ms at level 3 (19.7%); keeping pages was one of the largest CPU costs of a
# crawl outside extraction (docs/performance.md).
COMPRESSION_LEVEL = 1
ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"


class CorruptPageError(ValueError):
    """A kept page's body is neither a Zstandard frame nor a zlib stream that decompresses."""


# Built once: they run for every stored article (see newscrawl/store/schema.py).
_DELETE_PAGE: Final = delete(ARTICLE_PAGES).where(ARTICLE_PAGES.c.article_id == bindparam("id"))
_INSERT_PAGE: Final = insert(ARTICLE_PAGES)


@dataclass(frozen=True, slots=True)
class PagesSize:
    pages: int
    stored_bytes: int  # compressed, as in the file
    fetched_bytes: int  # as fetched


def save_page(
    conn: Connection, article_id: int, url: str, body: bytes, now: datetime, *, new: bool = False
) -> None:
    """Keep ``body`` as the page of ``article_id``, replacing the one kept before.

    ``new``: the article row was inserted in this transaction, so it has no page to replace.
    """
    values = {
        "article_id": article_id,
        "url": url,
        "fetched_at": now,
        "size": len(body),
        "body": zstd.compress(body, level=COMPRESSION_LEVEL),
    }
    # Delete and insert rather than an upsert: portable, and in the caller's transaction.
    if not new:
        conn.execute(_DELETE_PAGE, {"id": article_id})
    conn.execute(_INSERT_PAGE, values)


def page_body(compressed: bytes) -> bytes:
    """The page as fetched, from a body written by any version of newscrawl."""
    try:
        if compressed[:4] == ZSTD_MAGIC:
            return zstd.decompress(compressed)
        return zlib.decompress(compressed)
    except (zstd.ZstdError, zlib.error) as exc:
        raise CorruptPageError(f"the kept page does not decompress: {exc}") from None


def pages_size(conn: Connection) -> PagesSize:
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(func.length(ArticlePageRow.body)), 0),
            func.coalesce(func.sum(ArticlePageRow.size), 0),
        )
    ).one()
    return PagesSize(int(row[0]), int(row[1]), int(row[2]))
