"""Full-text index sqlite-utils and Datasette detect; every timestamp in one UTC form.

* ``articles_fts`` was declared ``content='articles'``; both tools look for
  ``content="articles"``. The table is declared anew and re-filled.
* Timestamps came in two forms (``2024-05-13T07:00:00+00:00`` from pages,
  ``2026-11-30 14:04:00.371326`` from SQLAlchemy); all become
  ``2024-05-13T07:00:00.000000Z``. Values that are not dates at all are left as they were.

The SQL is a frozen copy: later revisions change the schema with revisions of their own.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from newscrawl.store.migrations.frozen_ddl import fts_table_ddl

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)

TIMESTAMP_COLUMNS = {
    "articles": ("published_at", "modified_at", "first_seen_at", "last_seen_at"),
    "article_urls": ("first_seen_at",),
    "crawl_runs": ("started_at", "finished_at"),
    "duplicate_decisions": ("decided_at",),
}
PAGE_DATES = ("published_at", "modified_at")
_D = "[0-9]"
_DAY = f"{_D * 4}-{_D * 2}-{_D * 2}"
_TIME = f"{_D * 2}:{_D * 2}:{_D * 2}"
CANONICAL_GLOB = f"{_DAY}T{_TIME}.{_D * 6}Z"
# The two forms the old code wrote, rewritten in SQL (fast on large stores); anything
# else goes through Python's ISO 8601 parser.
SQL_REWRITES = (
    (f"{_DAY} {_TIME}.{_D * 6}", "replace({c}, ' ', 'T') || 'Z'"),
    (f"{_DAY}T{_TIME}+00:00", "substr({c}, 1, 19) || '.000000Z'"),
)


def rebuild_fts(content: str) -> None:
    """Declare ``articles_fts`` anew and re-fill it from ``articles``.

    The triggers belong to ``articles`` and name the index only in their bodies, so they
    keep working across the swap and stay as they were.
    """
    op.execute("DROP TABLE articles_fts")
    op.execute(fts_table_ddl(content))
    op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")


def to_utc_text(value: str) -> str | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def convert_timestamps() -> None:
    bind = op.get_bind()
    for table, columns in TIMESTAMP_COLUMNS.items():
        for column in columns:
            for pattern, expression in SQL_REWRITES:
                op.execute(
                    sa.text(
                        f"UPDATE {table} SET {column} = {expression.format(c=column)} "
                        f"WHERE {column} GLOB :pattern"
                    ).bindparams(pattern=pattern)
                )
            odd = bind.execute(
                sa.text(
                    f"SELECT rowid, {column} FROM {table} "
                    f"WHERE {column} IS NOT NULL AND {column} NOT GLOB :canonical"
                ),
                {"canonical": CANONICAL_GLOB},
            ).all()
            for rowid, value in odd:
                converted = to_utc_text(str(value))
                if converted is None:
                    logger.warning("Left %s.%s of row %s as is: %r", table, column, rowid, value)
                    continue
                bind.execute(
                    sa.text(f"UPDATE {table} SET {column} = :value WHERE rowid = :rowid"),
                    {"value": converted, "rowid": rowid},
                )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # stores made before this revision were all SQLite files
    convert_timestamps()
    rebuild_fts('"articles"')


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in TIMESTAMP_COLUMNS.items():
        for column in columns:
            # The pages' dates were text with an offset; the others SQLAlchemy's DATETIME.
            old = (
                f"substr({column}, 1, 19) || '+00:00'"
                if column in PAGE_DATES
                else f"replace(substr({column}, 1, 26), 'T', ' ')"
            )
            op.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = {old} WHERE {column} GLOB :canonical"
                ).bindparams(canonical=CANONICAL_GLOB)
            )
    rebuild_fts("'articles'")
