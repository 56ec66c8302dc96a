"""The stores the write path is tested on: a SQLite file always, and a throwaway database on
the PostgreSQL server that ``NEWSCRAWL_TEST_POSTGRES_URL`` names
(``postgresql+psycopg://user@127.0.0.1:5432/postgres``), when it is set.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from newscrawl.store.migrations import alembic_config
from newscrawl.store.schema import VIEWS_DDL, Base

if TYPE_CHECKING:
    from collections.abc import Iterator

BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL = os.environ.get("NEWSCRAWL_TEST_POSTGRES_URL", "")


def store_url_for(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'news.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("NEWSCRAWL_TEST_POSTGRES_URL is not set: no PostgreSQL server to write to")
    yield from postgres_store(POSTGRES_URL)


def postgres_store(server_url: str) -> Iterator[str]:
    """A fresh database on the server holding the current tables, dropped afterwards."""
    name = f"newscrawl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        # The tables and views the write path needs, stamped current so that a crawl's store
        # opens them as they are.
        Base.metadata.create_all(conn)
        for ddl in VIEWS_DDL:
            conn.execute(text(ddl.replace("CREATE VIEW IF NOT EXISTS", "CREATE OR REPLACE VIEW")))
        command.stamp(alembic_config(conn), "head")
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def as_url(store: str | Path) -> str:
    """A store's URL; a path means a SQLite file."""
    return store if isinstance(store, str) else f"sqlite:///{store}"


def rows(store: str | Path, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(as_url(store))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()
