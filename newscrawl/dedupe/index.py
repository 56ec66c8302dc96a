"""The near-duplicate index: which stored original a text is a syndicated copy of.

The near-duplicate index is MinHash LSH kept in the database (table ``lsh_buckets``), so it
survives restarts and is shared by every process that writes the same store. A lookup reads
``bands`` primary-key ranges and verifies at most ``max_candidates`` stored texts: its cost
does not grow with the number of stored articles. See docs/dedupe.md.
"""

from __future__ import annotations

import logging
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Final

from sqlalchemy import bindparam, delete, func, or_, select

from newscrawl import settings as project_settings
from newscrawl.dedupe import minhash
from newscrawl.dedupe.fingerprint import Fingerprint, TextSignature, words_hash
from newscrawl.store.backends import insert_ignoring_duplicates
from newscrawl.store.schema import LSH_BUCKETS, ArticleRow, LshBucketRow

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.engine import Connection

logger = logging.getLogger(__name__)

# The tunable defaults are the project's settings (docs/settings.md), written there only.
DEFAULT_THRESHOLD: Final = float(project_settings.NEWSCRAWL_NEAR_DUP_THRESHOLD)
DEFAULT_MIN_LENGTH_RATIO: Final = float(project_settings.NEWSCRAWL_NEAR_DUP_MIN_LENGTH_RATIO)
DEFAULT_MIN_WORDS: Final = int(project_settings.NEWSCRAWL_NEAR_DUP_MIN_WORDS)
DEFAULT_SHINGLE_SIZE: Final = 5
DEFAULT_NUM_PERM: Final = 128
DEFAULT_BAND_ROWS: Final = 3
DEFAULT_MAX_CANDIDATES: Final = int(project_settings.NEWSCRAWL_NEAR_DUP_MAX_CANDIDATES)


@dataclass(frozen=True, slots=True)
class Duplicate:
    kind: str  # "exact" or "near"
    original_id: int
    similarity: float


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


def compare(a: frozenset[int], b: frozenset[int]) -> Similarity:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return Similarity(len(small & large), len(small), len(large))


@dataclass(eq=False)
class NearDuplicateIndex:
    """Exact and near-duplicate lookups against the store, through one connection.

    Near duplicate: at least ``threshold`` of the shorter text's word ``shingle_size``-grams
    occur in the longer text, and the shorter text is at least ``min_length_ratio`` of the
    longer (so a short brief quoted inside a long feature is not merged with it). Texts with
    fewer than ``min_words`` words are judged by exact match only.

    ``num_perm``, ``band_rows`` and ``shingle_size`` decide the keys stored in
    ``lsh_buckets``: changing them needs :meth:`rebuild`.
    """

    threshold: float = DEFAULT_THRESHOLD
    _: KW_ONLY
    min_length_ratio: float = DEFAULT_MIN_LENGTH_RATIO
    min_words: int = DEFAULT_MIN_WORDS
    shingle_size: int = DEFAULT_SHINGLE_SIZE
    num_perm: int = DEFAULT_NUM_PERM
    band_rows: int = DEFAULT_BAND_ROWS
    max_candidates: int = DEFAULT_MAX_CANDIDATES
    _queries: dict[int, Select[int, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if not 1 <= self.band_rows <= self.num_perm:
            raise ValueError(f"band_rows must be between 1 and num_perm, not {self.band_rows}")

    @property
    def bands(self) -> int:
        return self.num_perm // self.band_rows

    def signature(self, text: str) -> TextSignature:
        return self.words_signature(minhash.tokens(text))

    def words_signature(self, words: list[str]) -> TextSignature:
        """:meth:`signature` of a text from its :func:`minhash.tokens`."""
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

    def fingerprint(self, text: str) -> Fingerprint:
        # Tokenised once for both: tokenising is about a third of the fingerprint's CPU.
        words = minhash.tokens(text)
        return Fingerprint(words_hash(words), self.words_signature(words))

    def find(self, conn: Connection, signature: TextSignature) -> Duplicate | None:
        """The stored original this text is a near copy of, the most similar one, or None.

        Only originals (``duplicate_of IS NULL``) are candidates, so ``duplicate_of`` always
        points at the first-seen copy of a story, never along a chain. Exact copies are
        found by their content hash first (:func:`newscrawl.dedupe.decide.find_original`).
        """
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

    def add(self, conn: Connection, article_id: int, signature: TextSignature) -> None:
        """Index an original. Texts too short for near-duplicate judgement are not indexed."""
        if not signature.band_keys:
            return
        conn.execute(
            insert_ignoring_duplicates(conn, LSH_BUCKETS),
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
