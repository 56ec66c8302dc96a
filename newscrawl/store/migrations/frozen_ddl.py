"""The SQLite DDL of the full-text index and the views, frozen as each revision wrote it.

Revisions are snapshots: they must not follow the live models, so what they create is
written here once, by the revision that introduced it, and never edited. A later change is
a new constant beside the old one. newscrawl/store/backends.py builds fresh stores from the
constants of the head revision.
"""

from __future__ import annotations

from typing import Final


def fts_table_ddl(content: str) -> str:
    """The FTS5 table over ``articles``, ``content`` spelled as the revision spelled it."""
    return f"""CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
        title, text, content={content}, content_rowid='id', tokenize='porter unicode61')"""


# The triggers that keep the index in step with `articles`; unchanged since 0001.
FTS_TRIGGERS_DDL: Final = (
    """CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE OF title, text ON articles
    BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
)
# 0001 declared content='articles'.
FTS_DDL_0001: Final = (fts_table_ddl("'articles'"), *FTS_TRIGGERS_DDL)
# 0002: content="articles" in double quotes (or [articles]) is the spelling sqlite-utils
# and Datasette look for to find a table's full-text index.
FTS_DDL_0002: Final = (fts_table_ddl('"articles"'), *FTS_TRIGGERS_DDL)

VIEWS_DDL_0001: Final = (
    "CREATE VIEW IF NOT EXISTS stories AS SELECT * FROM articles WHERE duplicate_of IS NULL",
    # Every story with each of its copies (the original included), for syndication analysis.
    """CREATE VIEW IF NOT EXISTS story_copies AS
    SELECT o.id AS story_id, o.title AS story_title, a.id AS article_id, a.source, a.domain,
           a.url, a.title, a.published_at, a.first_seen_at,
           COALESCE(a.duplicate_kind, 'original') AS kind, a.duplicate_similarity AS similarity
    FROM articles a JOIN articles o ON o.id = COALESCE(a.duplicate_of, a.id)""",
)

# What the head revision's stores have.
SQLITE_FTS_DDL: Final = FTS_DDL_0002
SQLITE_VIEWS_DDL: Final = VIEWS_DDL_0001
