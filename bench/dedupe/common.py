"""Shared helpers: a minimal article row, written the way the store writes one."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from newscrawl.dedupe.index import Duplicate, NearDuplicateIndex, content_hash
from newscrawl.store.schema import ArticleRow, utcnow

RESULTS = Path(__file__).resolve().parent.parent / "results"


def store(
    conn: Connection, index: NearDuplicateIndex, url: str, text: str
) -> tuple[int, Duplicate | None]:
    """Decide, insert and (for originals) index one article, as pipelines/store.py does."""
    digest = content_hash(text)
    signature = index.signature(text)
    found = index.find(conn, text, digest, signature)
    now = utcnow()
    key = conn.execute(
        insert(ArticleRow).values(
            url=url, domain="bench", text=text, word_count=len(text.split()),
            content_hash=digest, duplicate_of=found.original_id if found else None,
            duplicate_kind=found.kind if found else None,
            duplicate_similarity=found.similarity if found else None,
            first_seen_at=now, last_seen_at=now,
        )
    ).inserted_primary_key  # fmt: skip
    assert key is not None
    row_id = int(key[0])
    if found is None:
        index.add(conn, row_id, signature)
    return row_id, found


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=RESULTS.parent,
                             capture_output=True, text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"commit": _commit(), "python": platform.python_version(),
            "machine": platform.machine(), "cpus": os.cpu_count(), **data}  # fmt: skip
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
