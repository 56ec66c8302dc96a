"""Content duplicates: exact (same normalised text) and near (syndicated copies).

The near-duplicate index is MinHash LSH kept in the database (table ``lsh_buckets``), so it
survives restarts and is shared by every process that writes the same store. A lookup reads
``bands`` primary-key ranges and verifies at most ``max_candidates`` stored texts: its cost
does not grow with the number of stored articles. See docs/dedupe.md.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import bindparam, delete, func, insert, or_, select

from newscrawl.dedupe import minhash
from newscrawl.store.schema import ArticleRow, ArticleUrlRow, LshBucketRow

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Select
    from sqlalchemy.engine import Connection

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD: Final = 0.7
DEFAULT_MIN_LENGTH_RATIO: Final = 0.4
DEFAULT_MIN_WORDS: Final = 30
DEFAULT_SHINGLE_SIZE: Final = 5
DEFAULT_NUM_PERM: Final = 128
DEFAULT_BAND_ROWS: Final = 3
DEFAULT_MAX_CANDIDATES: Final = 20
# Stored rows with one text checked for a query-string variant: exact copies of one text
# are few, and a text shared by more rows (a boilerplate stub) is no address evidence.
MAX_SAME_TEXT_ROWS: Final = 50


@dataclass(frozen=True, slots=True)
class Duplicate:
    kind: str  # "exact" or "near"
    original_id: int
    similarity: float


@dataclass(frozen=True, slots=True)
class TextSignature:
    """What the index needs to know about one text, computed once, outside the database."""

    shingles: frozenset[int]
    # One LSH key per band; empty when the text is too short to judge by similarity.
    band_keys: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Similarity:
    """How much two texts share, by their sets of word shingles."""

    shared: int
    smaller: int
    larger: int

    @property
    def containment(self) -> float:
        """The share of the shorter text found in the longer one: the recorded similarity."""
        return self.shared / self.smaller if self.smaller else 0.0

    @property
    def length_ratio(self) -> float:
        return self.smaller / self.larger if self.larger else 0.0

    @property
    def jaccard(self) -> float:
        union = self.smaller + self.larger - self.shared
        return self.shared / union if union else 0.0


def normalize_text(text: str) -> str:
    """Casefolded words separated by single spaces; what exact duplicates have in common."""
    return " ".join(minhash.tokens(text))


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_text(text).encode()).hexdigest()


def compare(a: frozenset[int], b: frozenset[int]) -> Similarity:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return Similarity(len(small & large), len(small), len(large))


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def query_variant_of(conn: Connection, addresses: Iterable[str], digest: str) -> int | None:
    """The stored article with exactly this text at one of ``addresses`` but another query.

    A site that serves one story at ``story.html`` and ``story.html?storylist=world``
    serves one article: the second address becomes an alias, not an exact-duplicate row.
    ``addresses`` are normalised; the article's identity URL and its known aliases count.
    """
    bases = {without_query(url) for url in addresses}
    ids = list(
        conn.execute(
            select(ArticleRow.id)
            .where(ArticleRow.content_hash == digest)
            .order_by(ArticleRow.id)
            .limit(MAX_SAME_TEXT_ROWS)
        ).scalars()
    )
    if not ids:
        return None
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


class NearDuplicateIndex:
    """Exact and near-duplicate lookups against the store, through one connection.

    Near duplicate: at least ``threshold`` of the shorter text's word ``shingle_size``-grams
    occur in the longer text, and the shorter text is at least ``min_length_ratio`` of the
    longer (so a short brief quoted inside a long feature is not merged with it). Texts with
    fewer than ``min_words`` words are judged by exact match only.

    ``num_perm``, ``band_rows`` and ``shingle_size`` decide the keys stored in
    ``lsh_buckets``: changing them needs :meth:`rebuild`.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        min_length_ratio: float = DEFAULT_MIN_LENGTH_RATIO,
        min_words: int = DEFAULT_MIN_WORDS,
        shingle_size: int = DEFAULT_SHINGLE_SIZE,
        num_perm: int = DEFAULT_NUM_PERM,
        band_rows: int = DEFAULT_BAND_ROWS,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {threshold}")
        if not 1 <= band_rows <= num_perm:
            raise ValueError(f"band_rows must be between 1 and num_perm, not {band_rows}")
        self.threshold = threshold
        self.min_length_ratio = min_length_ratio
        self.min_words = min_words
        self.shingle_size = shingle_size
        self.num_perm = num_perm
        self.band_rows = band_rows
        self.max_candidates = max_candidates
        self._queries: dict[int, Select[int, str]] = {}

    @property
    def bands(self) -> int:
        return self.num_perm // self.band_rows

    def signature(self, text: str) -> TextSignature:
        words = minhash.tokens(text)
        hashes = minhash.shingles(words, self.shingle_size)
        if len(words) < self.min_words:
            return TextSignature(hashes, ())
        sig = minhash.signature(hashes, self.num_perm)
        return TextSignature(hashes, minhash.band_keys(sig, self.band_rows))

    def is_near_duplicate(self, similarity: Similarity) -> bool:
        return (
            similarity.containment >= self.threshold
            and similarity.length_ratio >= self.min_length_ratio
        )

    def find(
        self, conn: Connection, text: str, digest: str, signature: object = None
    ) -> Duplicate | None:
        """The original this text copies, exact match first, else the most similar near copy.

        Only originals (``duplicate_of IS NULL``) are candidates, so ``duplicate_of`` always
        points at the first-seen copy of a story, never along a chain.
        """
        original = conn.execute(
            select(ArticleRow.id)
            .where(ArticleRow.content_hash == digest, ArticleRow.duplicate_of.is_(None))
            .order_by(ArticleRow.id)
            .limit(1)
        ).scalar()
        if original is not None:
            return Duplicate("exact", original, 1.0)
        if not isinstance(signature, TextSignature):
            signature = self.signature(text)
        if not signature.band_keys:
            return None
        best: Duplicate | None = None
        for article_id, stored_text in self._candidate_texts(conn, signature.band_keys):
            words = minhash.tokens(stored_text)
            if len(words) < self.min_words:
                continue
            similarity = compare(signature.shingles, minhash.shingles(words, self.shingle_size))
            if not self.is_near_duplicate(similarity):
                continue
            score = round(similarity.containment, 4)
            # Highest similarity wins; among equals the earliest stored (lowest id).
            if best is None or (score, -article_id) > (best.similarity, -best.original_id):
                best = Duplicate("near", article_id, score)
        return best

    def _candidate_query(self, bands: int) -> Select[int, str]:
        # One primary-key lookup per band; originals sharing the most bands come first, and
        # at most max_candidates texts are read, however crowded a bucket is. Built once per
        # band count with bound keys: building the expression per lookup would cost more
        # than running it.
        query = self._queries.get(bands)
        if query is not None:
            return query
        hits = func.count().label("hits")
        candidates = (
            select(LshBucketRow.article_id, hits)
            .where(
                or_(
                    *(
                        (LshBucketRow.band == band) & (LshBucketRow.bucket == bindparam(f"k{band}"))
                        for band in range(bands)
                    )
                )
            )
            .group_by(LshBucketRow.article_id)
            .order_by(hits.desc(), LshBucketRow.article_id)
            .limit(self.max_candidates)
            .subquery()
        )
        query = (
            select(ArticleRow.id, ArticleRow.text)
            .join(candidates, candidates.c.article_id == ArticleRow.id)
            .where(ArticleRow.duplicate_of.is_(None))
        )
        self._queries[bands] = query
        return query

    def _candidate_texts(self, conn: Connection, keys: tuple[int, ...]) -> list[tuple[int, str]]:
        params = {f"k{band}": key for band, key in enumerate(keys)}
        rows = conn.execute(self._candidate_query(len(keys)), params)
        return [(row.id, row.text or "") for row in rows]

    def add(self, conn: Connection, article_id: int, signature: object) -> None:
        """Index an original. Texts too short for near-duplicate judgement are not indexed."""
        if not isinstance(signature, TextSignature):
            # The store passes what signature() returned; anything else is a wiring bug.
            raise TypeError(f"expected a TextSignature, got {type(signature).__name__}")
        if not signature.band_keys:
            return
        conn.execute(
            insert(LshBucketRow).prefix_with("OR IGNORE", dialect="sqlite"),
            [
                {"band": band, "bucket": key, "article_id": article_id}
                for band, key in enumerate(signature.band_keys)
            ],
        )

    def remove(self, conn: Connection, article_id: int) -> None:
        """Take an original out of the index; call before its stored text changes."""
        stored = conn.execute(select(ArticleRow.text).where(ArticleRow.id == article_id)).scalar()
        keys = self.signature(stored or "").band_keys
        # The keys follow from the stored text, so the rows are deleted through the primary
        # key; lsh_buckets has no index on article_id alone, and a delete by article_id
        # would read the whole table.
        deleted = 0
        for band, key in enumerate(keys):
            result = conn.execute(
                delete(LshBucketRow).where(
                    LshBucketRow.band == band,
                    LshBucketRow.bucket == key,
                    LshBucketRow.article_id == article_id,
                )
            )
            deleted += result.rowcount
        if deleted != len(keys):
            # Rows written under other parameters, or for another text: the slow, sure way.
            conn.execute(delete(LshBucketRow).where(LshBucketRow.article_id == article_id))

    def rebuild(self, conn: Connection, batch_size: int = 1000) -> int:
        """Re-index every original from its stored text (after changing the parameters).

        Linear in the store, so an offline maintenance step, never part of a lookup.
        Returns the number of originals indexed.
        """
        conn.execute(delete(LshBucketRow))
        indexed = 0
        last_id = 0
        while True:
            rows = conn.execute(
                select(ArticleRow.id, ArticleRow.text)
                .where(ArticleRow.duplicate_of.is_(None), ArticleRow.id > last_id)
                .order_by(ArticleRow.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            for row in rows:
                signature = self.signature(row.text or "")
                if signature.band_keys:
                    self.add(conn, row.id, signature)
                    indexed += 1
            last_id = rows[-1].id
        logger.info("Rebuilt the near-duplicate index: %(count)d originals", {"count": indexed})
        return indexed
