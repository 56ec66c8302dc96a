"""Near-duplicate keys re-signed with XXH3.

The keys in ``lsh_buckets`` are hashes of each original's text. newscrawl now hashes
shingles and bands with XXH3 instead of BLAKE2b (docs/dedupe.md), so a key written before
would never meet one written after and copies of stories stored before the upgrade would go
unnoticed. The upgrade re-signs every original from its stored text through the running
code's index, as ``newscrawl reindex`` does: this revision exists to make the stored keys
those of the code that reads them. The downgrade re-signs them the BLAKE2b way, with a
frozen copy of that code below. Either reads every original's text once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from newscrawl.dedupe import minhash
from newscrawl.dedupe.index import NearDuplicateIndex

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 1000
ARTICLES = sa.table(
    "articles",
    sa.column("id", sa.Integer),
    sa.column("text", sa.String),
    sa.column("duplicate_of", sa.Integer),
)
LSH_BUCKETS = sa.table(
    "lsh_buckets",
    sa.column("band", sa.Integer),
    sa.column("bucket", sa.BigInteger),
    sa.column("article_id", sa.Integer),
)


def upgrade() -> None:
    index = NearDuplicateIndex()
    _resign(lambda text: index.signature(text).band_keys)


def downgrade() -> None:
    _resign(_blake2b_keys)


def _resign(keys_of: Callable[[str], tuple[int, ...]]) -> None:
    conn = op.get_bind()
    conn.execute(sa.delete(LSH_BUCKETS))
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(ARTICLES.c.id, ARTICLES.c.text)
            .where(ARTICLES.c.duplicate_of.is_(None), ARTICLES.c.id > last_id)
            .order_by(ARTICLES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = [
            {"band": band, "bucket": key, "article_id": row.id}
            for row in rows
            for band, key in enumerate(keys_of(row.text or ""))
        ]
        if values:
            conn.execute(sa.insert(LSH_BUCKETS), values)
        last_id = rows[-1].id


# The keys of revisions 0001-0004: 5-word shingles, 128 bins, bands of 3, texts of 30 words
# or more, every hash BLAKE2b (8 bytes, little-endian).
def _blake2b(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _blake2b_keys(text: str) -> tuple[int, ...]:
    words = minhash.tokens(text)
    if len(words) < 30:
        return ()
    hashes = frozenset(_blake2b(" ".join(words[i : i + 5]).encode()) for i in range(len(words) - 4))
    sig = minhash.signature(hashes, 128)
    keys = []
    for start in range(0, 126, 3):
        packed = struct.pack("<3Q", *(v & minhash.MASK64 for v in sig[start : start + 3]))
        digest = hashlib.blake2b(packed, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return tuple(keys)
