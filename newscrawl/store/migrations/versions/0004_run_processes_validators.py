"""Runs record their process, so a later run can mark a killed one abandoned; feeds' and
sitemaps' HTTP validators, for conditional requests (docs/faults.md).

* ``crawl_runs`` gains ``pid``, ``hostname`` and ``process_start`` (NULL for older runs,
  which are then never marked abandoned: their process cannot be told apart).
* ``validators (url, etag, last_modified, checked_at)`` is new and starts empty: the first
  run after the upgrade fetches every feed and sitemap in full, as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RUN_COLUMNS = (("pid", sa.Integer), ("hostname", sa.String), ("process_start", sa.String))


def upgrade() -> None:
    for name, kind in RUN_COLUMNS:
        op.add_column("crawl_runs", sa.Column(name, kind(), nullable=True))
    op.create_table(
        "validators",
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )


def downgrade() -> None:
    op.drop_table("validators")
    for name, _kind in reversed(RUN_COLUMNS):
        op.drop_column("crawl_runs", name)
