"""Small stores built row by row through the real schema, for the query commands' tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select

from newscrawl.store.engine import make_engine
from newscrawl.store.schema import ArticleRow, ArticleUrlRow, CrawlRunRow

SEEN = datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
BASE = "https://www.example-news.com"

# (id, source, published_at as a page gives it, title, text, duplicate_of)
ARTICLES: tuple[tuple[int, str, str | None, str, str, int | None], ...] = (
    (
        1,
        "gazette",
        "2024-05-01T00:00:00+00:00",
        "Harbour bridge reopens",
        "The harbour bridge reopened to traffic on Wednesday after fourteen months of repairs "
        "that cost the town far more than planned. " * 3,
        None,
    ),
    (
        2,
        "gazette",
        "2024-05-09T16:05:00+00:00",
        "Storm Imogen repair bill climbs",
        "Two days after the storm swept through Port Marren the repair bill keeps climbing. " * 3,
        None,
    ),
    (
        3,
        "courier",
        "2024-05-09T18:30:00+02:00",
        "Storm Imogen repair bill climbs higher",
        "Two days after the storm swept through Port Marren the repair bill keeps climbing. " * 3,
        2,
    ),
    (
        4,
        "courier",
        "2024-05-20T07:15:00+00:00",
        "Otters return to the Marren",
        "Otters are back on the river Marren after four decades, volunteers say. " * 3,
        None,
    ),
    (5, "courier", None, "An undated notice", "A notice with no date of publication. " * 5, None),
)


def url_of(article_id: int) -> str:
    return f"{BASE}/news/{article_id}/story.html"


def build_store(url: str) -> str:
    """Five articles (one a near copy of another), their addresses, and one finished run."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for ident, source, published, title, text, duplicate_of in ARTICLES:
            row: dict[str, Any] = {
                "id": ident, "url": url_of(ident), "canonical_url": url_of(ident),
                "source": source, "domain": "example-news.com", "title": title,
                "published_at": published, "language": "en", "text": text,
                "tags": ["local", source], "categories": ["News"],
                "word_count": len(text.split()),
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                "duplicate_of": duplicate_of, "duplicate_kind": "near" if duplicate_of else None,
                "duplicate_similarity": 0.93 if duplicate_of else None,
                "first_seen_at": SEEN.replace(minute=ident), "last_seen_at": SEEN,
            }  # fmt: skip
            conn.execute(insert(ArticleRow).values(**row))
            conn.execute(
                insert(ArticleUrlRow).values(
                    url=url_of(ident), article_id=ident, first_seen_at=SEEN.replace(minute=ident)
                )
            )
        # The AMP rendering the crawl also met: an alias of article 4.
        conn.execute(
            insert(ArticleUrlRow).values(
                url=f"{BASE}/amp/news/4/story.html", article_id=4, first_seen_at=SEEN
            )
        )
        conn.execute(
            insert(CrawlRunRow).values(
                spider="news", started_at=SEEN, finished_at=SEEN, status="finished",
                arguments={}, stats={"newscrawl/store/inserted": 5},
            )
        )  # fmt: skip
        if conn.dialect.name == "postgresql":
            # The ids above were given, so the sequence behind articles.id must catch up.
            serial = func.pg_get_serial_sequence("articles", "id")
            conn.execute(select(func.setval(serial, len(ARTICLES))))
    engine.dispose()
    return url
