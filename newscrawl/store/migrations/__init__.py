"""The store's versions: Alembic revisions in ``versions/``, configured in code.

A fresh store is built from the models in newscrawl/store/schema.py and stamped with the head
revision; an older one is upgraded in place by the commands that write. Stores made
before migrations existed have no ``alembic_version`` table and are recognised by their
tables as revision 0001. See docs/schema.md, "Versions and upgrades".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import create_engine, event, func, inspect, select
from sqlalchemy.exc import DatabaseError, DBAPIError

# A module import: backends imports this package's frozen DDL while it loads.
from newscrawl.store import backends
from newscrawl.store.engine import (
    BUSY_TIMEOUT_MS,
    BUSY_TIMEOUT_S,
    make_engine,
    one_line_reason,
    sqlite_path,
    store_name,
    use_wal,
)
from newscrawl.store.schema import create_schema

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent
BASELINE: Final = "0001"
# The PostgreSQL advisory lock that lets one process at a time create or upgrade a store.
SCHEMA_LOCK: Final = 0x6E657773  # "news"
# The tables every store has had since the first release: how a pre-migration store is known.
LEGACY_TABLES: Final = frozenset({"articles", "article_urls", "crawl_runs"})


class StoreError(RuntimeError):
    """The database is not a store this newscrawl can use as asked; the message says why."""


@dataclass(frozen=True)
class StoreState:
    """What a database holds: ``empty``, ``newscrawl`` (with its revision) or ``foreign``."""

    kind: str
    revision: str | None = None

    @property
    def current(self) -> bool:
        return self.kind == "newscrawl" and self.revision == head()


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@cache
def script_directory() -> ScriptDirectory:
    """The revisions, read once per process."""
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    revision = script_directory().get_current_head()
    assert revision is not None
    return revision


def known_revision(revision: str) -> bool:
    try:
        return script_directory().get_revision(revision) is not None
    except (RevisionError, CommandError):
        return False


def inspect_store(conn: Connection, where: str = "the database") -> StoreState:
    """Classify a database by reading its catalogue only (never writes)."""
    try:
        tables = set(inspect(conn).get_table_names())
    except DatabaseError as exc:
        problem = f"{where} is not a newscrawl store ({exc.orig}); nothing was changed"
        raise StoreError(problem) from exc
    if "alembic_version" in tables:
        revision = MigrationContext.configure(conn).get_current_revision()
        if "articles" in tables or (revision is not None and known_revision(revision)):
            return StoreState("newscrawl", revision)
    elif tables >= LEGACY_TABLES:
        return StoreState("newscrawl", BASELINE)
    if not tables:
        return StoreState("empty")
    return StoreState("foreign")


def describe_problem(state: StoreState, where: str, *, writing: bool) -> str | None:
    """Why a store cannot be used (one line), or None when it can."""
    if state.kind == "foreign":
        return f"{where} is not a newscrawl store (it holds other tables); nothing was changed"
    if state.kind == "empty" and not writing:
        return f"{where} is not a newscrawl store (an empty database); nothing was changed"
    if state.kind != "newscrawl" or state.revision is None:
        return None
    if not known_revision(state.revision):
        return (
            f"{where} is at store version {state.revision}, newer than this newscrawl "
            f"understands (up to {head()}): upgrade newscrawl"
        )
    if not writing and state.revision != head():
        return (
            f"{where} is at store version {state.revision}, older than this newscrawl's "
            f"{head()}: run `newscrawl db upgrade --db {where}` (a copy keeps the original)"
        )
    return None


def _migration_engine(url: str) -> Engine:
    """An engine for :func:`~newscrawl.store.backends.write_transaction`, which holds the
    store's write lock from its start.

    Two processes opening an old store at once then upgrade it one after the other, and
    the second finds it current. Foreign keys stay off: a revision that copies a table
    would otherwise cascade the drop of the old copy into the rows that point at it.
    """
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "begin")
        def _lock(conn: Any) -> None:
            conn.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK)))

    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # In WAL mode from the start: the crawl's writers then never switch it, which
            # takes the store's exclusive lock (see use_wal).
            use_wal(dbapi_connection, BUSY_TIMEOUT_S)

    backends.serialise_writers(engine)
    return engine


def read_state(url: str, where: str) -> StoreState:
    """The store's state, read without writing a byte (a missing file is empty)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return StoreState("empty")
    engine = make_engine(url, create=False, readonly=True, probe=True)
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:  # a server down, a wrong password, no such database
            raise StoreError(f"cannot connect to {where}: {one_line_reason(exc)}") from exc
        with conn:
            return inspect_store(conn, where)
    finally:
        engine.dispose()


def prepare_store(url: str) -> StoreState:
    """Create the store, or upgrade it to the head revision; returns what it was before.

    Raises :class:`StoreError`, leaving the file as it was, for a database that is not a
    newscrawl store or that a newer newscrawl made.
    """
    where = store_name(url)
    before = read_state(url, where)
    problem = describe_problem(before, where, writing=True)
    if problem:
        raise StoreError(problem)
    if before.current:
        return before
    engine = _migration_engine(url)
    try:
        with backends.write_transaction(engine) as conn:
            # Again, under the lock: another process may have upgraded it meanwhile.
            before = inspect_store(conn, where)
            problem = describe_problem(before, where, writing=True)
            if problem:
                raise StoreError(problem)
            if before.kind == "empty":
                create_schema(conn)
                command.stamp(alembic_config(conn), "head")
            elif not before.current:
                logger.info("Upgrading the store %s from %s to %s", where, before.revision, head())
                config = alembic_config(conn)
                if before.revision == BASELINE and not _has_version_table(conn):
                    command.stamp(config, BASELINE)
                command.upgrade(config, "head")
        return before
    finally:
        engine.dispose()


def _has_version_table(conn: Connection) -> bool:
    return "alembic_version" in inspect(conn).get_table_names()
