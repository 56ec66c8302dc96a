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

from sqlalchemy import bindparam, select

from newscrawl.dedupe.index import Duplicate
from newscrawl.store.schema import ARTICLE_URLS, ARTICLES

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy.engine import Connection

    from newscrawl.dedupe.fingerprint import Fingerprint
    from newscrawl.dedupe.index import NearDuplicateIndex

# Stored rows with one text that are read: exact copies of one text are few, and a text
# shared by more rows (a boilerplate stub) is no address evidence.
MAX_SAME_TEXT_ROWS: Final = 50

# Built once: they run for every new article (see newscrawl/store/schema.py).
_SAME_TEXT: Final = (
    select(ARTICLES.c.id, ARTICLES.c.duplicate_of)
    .where(ARTICLES.c.content_hash == bindparam("digest"))
    .order_by(ARTICLES.c.duplicate_of.is_not(None), ARTICLES.c.id)
    .limit(MAX_SAME_TEXT_ROWS)
)
_ADDRESSES_OF: Final = (
    select(ARTICLES.c.id, ARTICLES.c.url)
    .where(ARTICLES.c.id.in_(bindparam("ids", expanding=True)))
    .union_all(
        select(ARTICLE_URLS.c.article_id, ARTICLE_URLS.c.url).where(
            ARTICLE_URLS.c.article_id.in_(bindparam("ids", expanding=True))
        )
    )
)


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
    rows = conn.execute(_SAME_TEXT, {"digest": digest})
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
    known = conn.execute(_ADDRESSES_OF, {"ids": ids}).all()
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
