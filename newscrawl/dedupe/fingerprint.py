"""What the store needs to know about an article's text to judge it, computed once per article.

The dedupe pipeline (pipelines/dedupe.py) fingerprints each article before the store's write
transaction, so the CPU work of hashing and signing runs outside the store's write lock.
Pure: no database, no Scrapy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from newscrawl.dedupe import minhash


@dataclass(frozen=True, slots=True)
class TextSignature:
    """What the near-duplicate index needs to know about one text."""

    shingles: frozenset[int]
    # One LSH key per band; empty when the text is too short to judge by similarity.
    band_keys: tuple[int, ...]


# The signature of a text not judged by similarity (duplicate detection off).
NO_SIGNATURE = TextSignature(frozenset(), ())


@dataclass(frozen=True, slots=True)
class Fingerprint:
    content_hash: str  # sha256 of the normalised text: what exact copies share
    signature: TextSignature


def normalize_text(text: str) -> str:
    """Casefolded words separated by single spaces; what exact duplicates have in common."""
    return " ".join(minhash.tokens(text))


def content_hash(text: str) -> str:
    return words_hash(minhash.tokens(text))


def words_hash(words: list[str]) -> str:
    """:func:`content_hash` of a text from its :func:`minhash.tokens`."""
    return hashlib.sha256(" ".join(words).encode()).hexdigest()
