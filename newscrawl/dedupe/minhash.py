"""Shingles, MinHash signatures and LSH band keys for near-duplicate text (pure, no database).

The signature is a one-permutation MinHash with optimal densification (Shrivastava, "Optimal
Densification for Fast and Accurate Minwise Hashing", ICML 2017): every shingle is hashed
once and falls into one of ``num_perm`` bins, so signing costs one hash per shingle instead
of ``num_perm`` hashes per shingle, which keeps it fast in pure Python. Two texts agree in a
bin with probability equal to the Jaccard similarity of their shingle sets, as with classic
MinHash, which is what the LSH banding needs. See docs/dedupe.md.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from xxhash import xxh3_64_intdigest

from newscrawl.extraction.text import WORD as TOKEN  # one CJK character is one token

MASK64: Final = (1 << 64) - 1
PROBE_SEED: Final = 0x5EED_D0C5
PROBES_PER_BIN: Final = 64


def tokens(text: str) -> list[str]:
    """Words (casefolded, punctuation dropped) and single CJK characters, in order."""
    return TOKEN.findall(text.casefold())


# XXH3 (64-bit, seed 0) rather than hash(): str hashes are salted per process, and band keys
# are stored in the database and compared across processes. XXH3 rather than BLAKE2b: MinHash
# needs a well-mixed hash, not a secure one, and hashing an article's shingles took 1.6 ms
# with BLAKE2b against 0.6 with XXH3 (docs/performance.md). Changing it changes every stored
# key: a migration re-signs the store (newscrawl/store/migrations/versions/0005_lsh_xxh3.py).
_hash64: Final = xxh3_64_intdigest
_SIGN_BIT: Final = 1 << 63


def shingles(words: Sequence[str], size: int) -> frozenset[int]:
    """64-bit hashes of the word ``size``-grams (one shingle for a shorter text)."""
    if not words:
        return frozenset()
    if len(words) <= size:
        return frozenset({_hash64(" ".join(words).encode())})
    # The same bytes as joining each n-gram, sliced out of the text joined once instead of
    # joined and encoded anew for every n-gram; one hash function (_hash64) for both paths.
    encoded = [w.encode() for w in words]
    joined = b" ".join(encoded)
    starts, at = [], 0
    for word in encoded:
        starts.append(at)
        at += len(word) + 1
    return frozenset(
        [
            _hash64(joined[start : end - 1])
            for start, end in zip(starts, [*starts[size:], at], strict=False)
        ]
    )


@lru_cache(maxsize=8)
def _probes(num_perm: int) -> tuple[tuple[int, ...], ...]:
    # The fixed pseudo-random bin sequence each empty bin borrows from. It must be the same
    # in every process and for every text, hence a seeded generator, not per-text state.
    rng = random.Random(PROBE_SEED + num_perm)
    return tuple(
        tuple(rng.randrange(num_perm) for _ in range(PROBES_PER_BIN)) for _ in range(num_perm)
    )


def signature(hashes: frozenset[int], num_perm: int) -> tuple[int, ...]:
    """One-permutation MinHash of a shingle set, ``num_perm`` bins, densified.

    ``num_perm`` must be a power of two. An empty set has an empty signature.
    """
    if not hashes:
        return ()
    bits = num_perm.bit_length() - 1
    if 1 << bits != num_perm:
        raise ValueError(f"num_perm must be a power of two, not {num_perm}")
    mask = num_perm - 1
    mins: list[int | None] = [None] * num_perm
    for h in hashes:
        # The low bits choose the bin and the remaining bits are the value: one hash serves
        # as both, and the two parts are independent for a good hash.
        b = h & mask
        v = h >> bits
        current = mins[b]
        if current is None or v < current:
            mins[b] = v
    filled = [b for b in range(num_perm) if mins[b] is not None]
    probes = _probes(num_perm)
    out: list[int] = []
    for b in range(num_perm):
        value = mins[b]
        if value is None:
            # Optimal densification: borrow from the first non-empty bin in this bin's fixed
            # probe sequence; if every probe is empty (very short texts), fall back to the
            # next non-empty bin to the right. Both texts of a pair follow the same rule.
            donor = next((p for p in probes[b] if mins[p] is not None), None)
            if donor is None:
                donor = next((f for f in filled if f > b), filled[0])
            value = mins[donor]
        assert value is not None
        out.append(value)
    return tuple(out)


def band_keys(sig: Sequence[int], rows: int) -> tuple[int, ...]:
    """One signed 64-bit key per band of ``rows`` consecutive bins (SQLite INTEGER range)."""
    keys = []
    for start in range(0, len(sig) - rows + 1, rows):
        packed = struct.pack(f"<{rows}Q", *(v & MASK64 for v in sig[start : start + rows]))
        key = _hash64(packed)
        keys.append(key - (1 << 64) if key & _SIGN_BIT else key)
    return tuple(keys)


def estimated_jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """The share of bins in which two signatures agree (used by the bench, not the index)."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
