"""Earlier versions of articles (table ``article_versions``) and word diffs between them.

Outlets edit stories after publication. When a crawl finds an article's title or text
changed at the source, the store keeps the version it replaces here; ``newscrawl history``
lists them and shows what changed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from newscrawl.crawl.urls import normalize_url
from newscrawl.store.schema import ArticleRow, ArticleUrlRow, ArticleVersionRow, format_timestamp

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection

# The columns a version keeps of an article (articles and article_versions share them).
VERSION_CONTENT = ("title", "text", "word_count", "content_hash", "modified_at")
# Words, and the line breaks between paragraphs, so a diff keeps the text's shape.
TOKENS = re.compile(r"\n+|[^\s]+")


@dataclass(frozen=True, slots=True)
class Version:
    number: int  # 1 is the first version seen; the highest is the current one
    title: str | None
    text: str
    word_count: int
    content_hash: str
    modified_at: str | None
    seen_from: datetime
    replaced_at: datetime | None  # None for the current version

    def summary(self) -> dict[str, Any]:
        return {
            "version": self.number,
            "seen_from": format_timestamp(self.seen_from),
            "replaced_at": format_timestamp(self.replaced_at) if self.replaced_at else None,
            "modified_at": self.modified_at,
            "words": self.word_count,
            "title": self.title,
        }


def keep_version(conn: Connection, old: Any, article_id: int, now: datetime) -> None:
    """Keep the stored title and text of ``article_id`` (``old``) before they are replaced.

    ``old`` carries the row's ``title``, ``text``, ``word_count``, ``content_hash``,
    ``modified_at`` and ``first_seen_at``.
    """
    since = conn.execute(
        select(func.max(ArticleVersionRow.replaced_at)).where(
            ArticleVersionRow.article_id == article_id
        )
    ).scalar()
    conn.execute(
        insert(ArticleVersionRow).values(
            article_id=article_id,
            seen_from=since or old.first_seen_at,
            replaced_at=now,
            **_content(old),
        )
    )


def find_article(conn: Connection, ref: str) -> int | None:
    """The id of the article ``ref`` names: an id, its URL or any address that led to it."""
    if ref.isdigit():
        found = conn.execute(select(ArticleRow.id).where(ArticleRow.id == int(ref))).scalar()
        if found is not None:
            return int(found)
    try:
        url = normalize_url(ref)
    except ValueError:
        return None
    found = conn.execute(select(ArticleRow.id).where(ArticleRow.url == url)).scalar()
    if found is None:
        found = conn.execute(
            select(ArticleUrlRow.article_id).where(ArticleUrlRow.url == url)
        ).scalar()
    return int(found) if found is not None else None


def versions(conn: Connection, article_id: int) -> list[Version]:
    """Every version of the article, oldest first, the current one (``articles``) last."""
    earlier = conn.execute(
        select(ArticleVersionRow)
        .where(ArticleVersionRow.article_id == article_id)
        .order_by(ArticleVersionRow.replaced_at, ArticleVersionRow.id)
    ).all()
    result = [
        _version(number, v, v.seen_from, v.replaced_at) for number, v in enumerate(earlier, start=1)
    ]
    current = conn.execute(select(ArticleRow).where(ArticleRow.id == article_id)).one()
    since = result[-1].replaced_at if result else current.first_seen_at
    assert since is not None
    result.append(_version(len(result) + 1, current, since, None))
    return result


def _version(
    number: int,
    row: Any,  # an articles or article_versions row
    seen_from: datetime,
    replaced_at: datetime | None,
) -> Version:
    return Version(number=number, seen_from=seen_from, replaced_at=replaced_at, **_content(row))


def _content(row: Any) -> dict[str, Any]:
    """What a version holds of an ``articles`` or ``article_versions`` row."""
    return {field: getattr(row, field) for field in VERSION_CONTENT}


def word_diff(old: str, new: str) -> str:
    """``old`` turned into ``new`` word by word: ``[-removed-]`` and ``{+added+}`` (wdiff's
    notation), unchanged words as they are, paragraphs kept."""
    a, b = TOKENS.findall(old or ""), TOKENS.findall(new or "")
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(a[i1:i2])
            continue
        if i2 > i1:
            out.append(_mark("[-", a[i1:i2], "-]"))
        if j2 > j1:
            out.append(_mark("{+", b[j1:j2], "+}"))
    return _join(out)


def _mark(start: str, tokens: list[str], end: str) -> str:
    return start + _join(tokens) + end


def _join(tokens: list[str]) -> str:
    text = ""
    for token in tokens:
        if token.startswith("\n"):
            text = text.rstrip(" ") + "\n\n"
        else:
            text += token + " "
    return text.rstrip(" ")
