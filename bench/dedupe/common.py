"""Shared helpers: an article written through the store's own write path, result files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.dedupe.write import ArticleWriter
from newscrawl.extraction.article import Article
from newscrawl.items import ArticleItem
from newscrawl.store.schema import utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from newscrawl.dedupe.decide import Decision
    from newscrawl.dedupe.index import NearDuplicateIndex

RESULTS = Path(__file__).resolve().parent.parent / "results"


def store(
    conn: Connection, index: NearDuplicateIndex, url: str, text: str
) -> tuple[int, Decision | None]:
    """Fingerprint and write one article through the store's own write path.

    Returns its row and, when it was judged a copy, the decision.
    """
    article = Article(url=url, canonical_url=url, domain="bench", text=text,
                      word_count=len(text.split()))  # fmt: skip
    item = ArticleItem(article, utcnow(), [url], fingerprint=index.fingerprint(text))
    outcome = ArticleWriter(index, keep_pages=False).write(conn, item)
    assert outcome.article_id is not None
    return outcome.article_id, outcome.decision


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
