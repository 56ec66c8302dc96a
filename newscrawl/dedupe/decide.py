"""Duplicate decisions for a text new to the store: an exact copy, a near copy, or an alias.

The content hash is looked up once per new article (:func:`same_text`); what it finds
answers both questions asked of it: is this the same text at another query string of a
stored address (an alias), and which original does it copy exactly. Run inside the
store's write transaction (newscrawl/dedupe/write.py), so the decision sees every row
written before it, in this batch and by other processes. See docs/dedupe.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select

from newscrawl.dedupe.index import Duplicate
from newscrawl.store.schema import ArticleRow, ArticleUrlRow

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy.engine import Connection

    from newscrawl.dedupe.fingerprint import Fingerprint
    from newscrawl.dedupe.index import NearDuplicateIndex

# Stored rows with one text that are read: exact copies of one text are few, and a text
# shared by more rows (a boilerplate stub) is no address evidence.
MAX_SAME_TEXT_ROWS: Final = 50


@dataclass(frozen=True, slots=True)
class StoredText:
    """A stored article with the text being decided on."""

    id: int
    duplicate_of: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    """Why an address or article was judged a copy: a ``duplicate_decisions`` row."""

    kind: str  # url, exact or near
    url: str  # the address judged a copy
    article_id: int | None  # the copy's own row; None for url duplicates, which get none
    original_id: int
    similarity: float | None  # near copies only


def same_text(conn: Connection, digest: str) -> list[StoredText]:
    """Stored articles with this content hash, originals first, then oldest first."""
    rows = conn.execute(
        select(ArticleRow.id, ArticleRow.duplicate_of)
        .where(ArticleRow.content_hash == digest)
        .order_by(ArticleRow.duplicate_of.is_not(None), ArticleRow.id)
        .limit(MAX_SAME_TEXT_ROWS)
    )
    return [StoredText(row.id, row.duplicate_of) for row in rows]


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def query_variant_of(
    conn: Connection, addresses: Iterable[str], same: Sequence[StoredText]
) -> int | None:
    """The stored article with this text (``same``) at one of ``addresses`` but another query.

    A site that serves one story at ``story.html`` and ``story.html?storylist=world``
    serves one article: the second address becomes an alias, not an exact-duplicate row.
    ``addresses`` are normalised; the article's identity URL and its known aliases count.
    """
    if not same:
        return None
    ids = [stored.id for stored in same]
    bases = {without_query(url) for url in addresses}
    known = conn.execute(
        select(ArticleRow.id, ArticleRow.url)
        .where(ArticleRow.id.in_(ids))
        .union_all(
            select(ArticleUrlRow.article_id, ArticleUrlRow.url).where(
                ArticleUrlRow.article_id.in_(ids)
            )
        )
    ).all()
    matches = sorted(article_id for article_id, url in known if without_query(url) in bases)
    return matches[0] if matches else None


def exact_original(same: Sequence[StoredText]) -> Duplicate | None:
    """The earliest original with this very text: ``same`` lists originals first."""
    if same and same[0].duplicate_of is None:
        return Duplicate("exact", same[0].id, 1.0)
    return None


def find_original(
    conn: Connection,
    index: NearDuplicateIndex,
    fingerprint: Fingerprint,
    same: Sequence[StoredText] | None = None,
) -> Duplicate | None:
    """The original this text copies: the exact copy first, else the most similar near copy.

    ``same`` is what :func:`same_text` found for the fingerprint's hash, when the caller
    has looked it up already.
    """
    if same is None:
        same = same_text(conn, fingerprint.content_hash)
    return exact_original(same) or index.find(conn, fingerprint.signature)
