"""Alembic's entry point: runs the revisions on the connection newscrawl hands it.

newscrawl configures Alembic in code (newscrawl/store/migrations/__init__.py), so an installed
copy needs no alembic.ini; the caller opens the connection and owns the transaction.
"""

from __future__ import annotations

from alembic import context

from newscrawl.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite changes most column definitions only by copying the table.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
