"""The one write path of an article into the store, deciding what it duplicates as it goes.

Per article, inside the caller's write transaction: an address already known (identity URL
or any alias) updates that row; the same text at a stored article's address with another
query string becomes an alias of it; otherwise the article gets a row of its own, marked as
an exact or near copy of an earlier original when it is one. Rows written earlier in the
same transaction are seen, so copies within one batch are caught too.

:meth:`ArticleWriter.write` returns an :class:`Outcome` and counts nothing: the store
pipeline counts outcomes once their transaction has committed, and the benchmarks call the
same method. See docs/dedupe.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import bindparam, insert, literal, select, union_all, update

from newscrawl.crawl.urls import normalize_url
from newscrawl.dedupe.decide import Decision, find_original, query_variant_of, same_text
from newscrawl.store.pages import save_page
from newscrawl.store.schema import (
    ARTICLE_URLS,
    ARTICLES,
    DUPLICATE_DECISIONS,
    ArticleRow,
    ArticleUrlRow,
)
from newscrawl.store.versions import keep_version

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection

    from newscrawl.dedupe.fingerprint import Fingerprint
    from newscrawl.dedupe.index import Duplicate, NearDuplicateIndex
    from newscrawl.items import ArticleItem

# Fields refreshed when a known article is crawled again.
UPDATABLE: Final = (
    "canonical_url", "title", "author", "published_at", "modified_at", "language",
    "description", "sitename", "image", "text", "word_count",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcome:
    """What writing one article did; the store counts ``store/<kind>`` from it.

    ``kind``: inserted (an original), inserted_duplicate (a row of its own, marked a copy),
    aliased (an address of a stored article), updated (changed at its source), unchanged,
    or failed (not written).
    """

    kind: str
    article_id: int | None = None  # the row written or updated
    decision: Decision | None = None
    version_kept: bool = False
    page_kept: bool = False


FAILED: Final = Outcome("failed")

# The statements run for every new article, built once (see newscrawl/store/schema.py).
# The article stored under the identity URL, else the one that first had one of the
# aliases: one statement rather than two for a new article (86-96 us against 116-126).
_MATCHES: Final = union_all(
    select(ARTICLES.c.id, literal(0).label("rank"), ARTICLES.c.first_seen_at).where(
        ARTICLES.c.url == bindparam("url")
    ),
    select(ARTICLE_URLS.c.article_id, literal(1), ARTICLE_URLS.c.first_seen_at).where(
        ARTICLE_URLS.c.url.in_(bindparam("urls", expanding=True))
    ),
).subquery()
_KNOWN_ID: Final = (
    select(_MATCHES.c.id).order_by(_MATCHES.c.rank, _MATCHES.c.first_seen_at).limit(1)
)
_KNOWN_ALIASES: Final = select(ARTICLE_URLS.c.url).where(
    ARTICLE_URLS.c.url.in_(bindparam("urls", expanding=True))
)
_INSERT_ARTICLE: Final = insert(ARTICLES).returning(ARTICLES.c.id)
_INSERT_ALIAS: Final = insert(ARTICLE_URLS)
_INSERT_DECISION: Final = insert(DUPLICATE_DECISIONS)


class MissingFingerprintError(ValueError):
    """The item reached the store without the dedupe pipeline's fingerprint."""


class ArticleWriter:
    """Writes articles through one connection's transaction; see the module docstring.

    With ``detect_duplicates`` off every article new to the store is stored as its own
    original and left out of the near-duplicate index; addresses still identify articles.
    """

    def __init__(
        self,
        index: NearDuplicateIndex,
        *,
        detect_duplicates: bool = True,
        keep_pages: bool = True,
    ) -> None:
        self.index = index
        self.detect_duplicates = detect_duplicates
        self.keep_pages = keep_pages

    def write(self, conn: Connection, item: ArticleItem, run_id: int | None = None) -> Outcome:
        """Insert or update one article; ``run_id`` goes into its decision row, if any."""
        fingerprint = item.fingerprint
        if fingerprint is None:
            raise MissingFingerprintError(
                f"{item.article.url} has no fingerprint: pipelines.dedupe.DedupePipeline "
                "must run before the store"
            )
        article = item.article
        identity = article.canonical_url
        aliases = {normalize_url(url) for url in item.aliases} | {identity}
        existing = self._known_id(conn, identity, aliases)
        if existing is not None:
            outcome = self._update(conn, existing, item, fingerprint)
        else:
            existing, outcome = self._insert_or_alias(conn, item, fingerprint, aliases)
        # A new row's addresses were all looked up by _known_id and none was known.
        new_row = outcome.kind in ("inserted", "inserted_duplicate")
        self._add_aliases(conn, existing, aliases, item.fetched_at, all_new=new_row)
        if outcome.decision is not None:
            self._record(conn, outcome.decision, run_id, item.fetched_at)
        return outcome

    # --- an article known by one of its addresses ----------------------------------------------
    def _known_id(self, conn: Connection, identity: str, aliases: set[str]) -> int | None:
        row_id: int | None = conn.execute(
            _KNOWN_ID, {"url": identity, "urls": sorted(aliases)}
        ).scalar()
        return row_id

    def _update(
        self, conn: Connection, row_id: int, item: ArticleItem, fingerprint: Fingerprint
    ) -> Outcome:
        article, now, digest = item.article, item.fetched_at, fingerprint.content_hash
        old = conn.execute(
            select(
                ArticleRow.url,
                ArticleRow.content_hash,
                ArticleRow.duplicate_of,
                ArticleRow.first_seen_at,
                ArticleRow.title,
                ArticleRow.text,
                ArticleRow.word_count,
                ArticleRow.modified_at,
            ).where(ArticleRow.id == row_id)
        ).one()
        fetched = normalize_url(article.url)
        decision = None
        if fetched != old.url and not self._alias_known(conn, fetched):
            # Reached through an address not seen before: a duplicate by URL identity.
            decision = Decision("url", fetched, None, row_id, None)
        values: dict[str, Any] = {"last_seen_at": now}
        # Only the page the article was stored from (or its canonical) refreshes the text:
        # an AMP or print variant reached later must not replace it with its own rendering.
        own_page = fetched == old.url or self._stored_from(conn, row_id, fetched, old.first_seen_at)
        changed = own_page and (old.content_hash != digest or old.title != article.title)
        if changed:
            # Edited at the source: the version it replaces is kept, not overwritten.
            keep_version(conn, old, row_id, now)
            values.update({f: getattr(article, f) for f in UPDATABLE})
            values.update(
                content_hash=digest,
                categories=list(article.categories),
                tags=list(article.tags),
            )
            if old.duplicate_of is None and old.content_hash != digest and self.detect_duplicates:
                self.index.remove(conn, row_id)
                self.index.add(conn, row_id, fingerprint.signature)
        conn.execute(update(ArticleRow).where(ArticleRow.id == row_id).values(**values))
        page_kept = own_page and self._keep_page(conn, row_id, item, fetched)
        kind = "updated" if changed else "unchanged"
        return Outcome(kind, row_id, decision, version_kept=changed, page_kept=page_kept)

    def _stored_from(self, conn: Connection, row_id: int, url: str, first_seen: datetime) -> bool:
        """Whether ``url`` was an address of the fetch that first stored the article."""
        seen = conn.execute(
            select(ArticleUrlRow.first_seen_at).where(
                ArticleUrlRow.url == url, ArticleUrlRow.article_id == row_id
            )
        ).scalar()
        return seen is not None and seen == first_seen

    def _alias_known(self, conn: Connection, url: str) -> bool:
        found = conn.execute(select(ArticleUrlRow.url).where(ArticleUrlRow.url == url)).scalar()
        return found is not None

    # --- an article new by its addresses ---------------------------------------------------------
    def _insert_or_alias(
        self, conn: Connection, item: ArticleItem, fingerprint: Fingerprint, aliases: set[str]
    ) -> tuple[int, Outcome]:
        duplicate: Duplicate | None = None
        if self.detect_duplicates:
            same = same_text(conn, fingerprint.content_hash)
            variant = query_variant_of(conn, aliases, same)
            if variant is not None:
                # The same text at the address of a stored article with another query string
                # (story.html?storylist=world): one article, so this address is an alias of it.
                updated = self._update(conn, variant, item, fingerprint)
                return variant, replace(updated, kind="aliased")
            duplicate = find_original(conn, self.index, fingerprint, same)
        row_id = self._insert(conn, item, fingerprint.content_hash, duplicate)
        page_kept = self._keep_page(conn, row_id, item, normalize_url(item.article.url), new=True)
        if duplicate is None:
            if self.detect_duplicates:
                self.index.add(conn, row_id, fingerprint.signature)
            return row_id, Outcome("inserted", row_id, page_kept=page_kept)
        similarity = duplicate.similarity if duplicate.kind == "near" else None
        decision = Decision(
            duplicate.kind, item.article.canonical_url, row_id, duplicate.original_id, similarity
        )
        return row_id, Outcome("inserted_duplicate", row_id, decision, page_kept=page_kept)

    def _insert(
        self, conn: Connection, item: ArticleItem, digest: str, duplicate: Duplicate | None
    ) -> int:
        article, now = item.article, item.fetched_at
        values = article.as_dict()
        values.update(
            url=article.canonical_url,
            canonical_url=article.canonical_url,
            content_hash=digest,
            duplicate_of=duplicate.original_id if duplicate else None,
            duplicate_kind=duplicate.kind if duplicate else None,
            duplicate_similarity=duplicate.similarity if duplicate else None,
            first_seen_at=now,
            last_seen_at=now,
        )
        row_id: int = conn.execute(_INSERT_ARTICLE, values).scalar_one()
        return row_id

    # --- rows beside the article -----------------------------------------------------------------
    def _keep_page(
        self, conn: Connection, row_id: int, item: ArticleItem, url: str, *, new: bool = False
    ) -> bool:
        if not self.keep_pages or item.page is None:
            return False
        save_page(conn, row_id, url, item.page, item.fetched_at, new=new)
        return True

    def _add_aliases(
        self, conn: Connection, row_id: int, aliases: set[str], now: datetime, *, all_new: bool
    ) -> None:
        known: set[str] = set()
        if not all_new:
            known = set(conn.execute(_KNOWN_ALIASES, {"urls": sorted(aliases)}).scalars())
        new = [{"url": u, "article_id": row_id, "first_seen_at": now} for u in aliases - known]
        if new:
            conn.execute(_INSERT_ALIAS, new)

    def _record(
        self, conn: Connection, decision: Decision, run_id: int | None, now: datetime
    ) -> None:
        conn.execute(
            _INSERT_DECISION,
            {
                "run_id": run_id, "url": decision.url, "article_id": decision.article_id,
                "original_id": decision.original_id, "kind": decision.kind,
                "similarity": decision.similarity, "decided_at": now,
            },
        )  # fmt: skip
