"""The engine factory: where the store is, and how each kind of engine opens it.

``make_engine`` opens the store named by a SQLAlchemy URL or a file path (``NEWSCRAWL_DB``),
creating or upgrading its schema for writers; SQLite gets WAL and a busy timeout, and
query commands open it read-only. The tables are in :mod:`newscrawl.store.schema`; what a
write transaction takes on each database is in :mod:`newscrawl.store.backends`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import SQLAlchemyError

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
# How long a writer waits for another's write lock before giving up (NEWSCRAWL_BUSY_TIMEOUT).
BUSY_TIMEOUT_MS: Final = 30_000
BUSY_TIMEOUT_S: Final = BUSY_TIMEOUT_MS / 1000
# A writer's page cache, bounded: SQLite's default 2 MiB misses the near-duplicate index's
# upper pages once the store grows. Not mmap: mapped pages count in the crawl's memory, which
# then grew with the store (a 20,000-page crawl peaked at 3.7x a 2,000-page one).
CACHE_KIB: Final = 32 * 1024


def project_dir() -> Path:
    """Where ``data/`` lives: the checkout holding scrapy.cfg, else the working directory."""
    if (PROJECT_ROOT / "scrapy.cfg").exists():
        return PROJECT_ROOT
    return Path.cwd()


def default_db_url() -> str:
    return f"sqlite:///{project_dir() / 'data' / 'news.db'}"


def resolve_db_url(value: str | None = None) -> str:
    """The database URL from an explicit value, else ``NEWSCRAWL_DB``, else data/news.db.

    A bare file path is accepted and means a SQLite file.
    """
    chosen = value or os.environ.get("NEWSCRAWL_DB") or default_db_url()
    if "://" not in chosen:
        return f"sqlite:///{Path(chosen).expanduser().resolve()}"
    return chosen


def store_name(url: str) -> str:
    """How messages name a store: its file, or its URL without the password."""
    path = sqlite_path(url)
    return str(path) if path is not None else make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def use_wal(dbapi_connection: Any, busy_timeout: float) -> None:
    """Put the store in WAL mode (a no-op once it is), waiting out another writer's lock.

    Switching a store to WAL needs its exclusive lock, and SQLite does not call its busy
    handler for that: two processes opening a new store at once saw "database is locked"
    at once, whatever the busy timeout. So the wait is here.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _sqlite_pragmas(busy_timeout: float) -> Any:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        use_wal(dbapi_connection, busy_timeout)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()

    return set_pragmas


def make_engine(
    url: str | None = None,
    *,
    create: bool = True,
    writer: bool = False,
    readonly: bool = False,
    probe: bool = False,
    busy_timeout: float = BUSY_TIMEOUT_S,
) -> Engine:
    """An engine for the store, created or upgraded to the current schema when ``create``.

    ``writer`` engines (the crawl's, see :mod:`newscrawl.store.extension`) can open
    :func:`~newscrawl.store.backends.write_transaction`, which holds the write lock from
    its start.
    ``readonly`` engines open a SQLite file read-only and never create or upgrade it
    (``probe``: see :func:`newscrawl.store.backends.readonly_url`). ``busy_timeout`` is
    how many seconds a statement waits for another writer's lock.
    """
    from newscrawl.store import backends  # backends builds on this module's paths

    resolved = resolve_db_url(url)
    path = sqlite_path(resolved)
    if path is not None and create and not readonly:
        path.parent.mkdir(parents=True, exist_ok=True)
    dialect = make_url(resolved).get_backend_name()
    connect_args = backends.connect_timeout_args(dialect)
    if readonly:
        connect_args |= backends.readonly_connect_args(dialect)
        resolved = backends.readonly_url(resolved, probe=probe)
    engine = create_engine(resolved, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        pragmas = backends.sqlite_reader_pragmas if readonly else _sqlite_pragmas(busy_timeout)
        event.listen(engine, "connect", pragmas)
    if writer:
        backends.serialise_writers(engine)
    if create and not readonly:
        from newscrawl.store.migrations import prepare_store

        prepare_store(resolved)
    return engine


def store_unavailable(exc: SQLAlchemyError) -> str | None:
    """The store's one-line reason when no write can succeed now (full, locked), else None."""
    if not isinstance(exc, OperationalError):
        return None
    message = str(exc.orig).splitlines()[0] if exc.orig is not None else ""
    if "disk is full" in message:
        return f"the store is full ({message})"
    if "database is locked" in message:
        return f"another process held the store's write lock past the busy timeout ({message})"
    return None


def one_line_reason(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line only (psycopg adds hints on further lines)."""
    reason = str(getattr(exc, "orig", None) or exc).strip()
    return reason.splitlines()[0] if reason else type(exc).__name__
