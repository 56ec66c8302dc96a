"""What differs between the store's databases (SQLite, PostgreSQL), in one place.

Everything else builds portable SQLAlchemy Core statements; the few parts a backend does its
own way sit here, so adding a backend means reading one file.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import event, func, select
from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import DeclarativeBase
    from sqlalchemy.sql.dml import Insert


# --- writing -----------------------------------------------------------------------------------
# The execution option that marks a connection's next transaction as a writer's.
_WRITE_LOCK: Final = "newscrawl_write_lock"
# The one PostgreSQL advisory lock every newscrawl writer takes: any fixed 64-bit number works,
# as long as every process uses the same one ("news" in ASCII).
ADVISORY_LOCK_KEY: Final = 0x6E657773


def serialise_writers(engine: Engine) -> None:
    """Let :func:`write_transaction` take SQLite's write lock when it begins.

    SQLite's driver begins its transactions itself, at the first write, as ``BEGIN``
    (deferred); SQLAlchemy then cannot choose ``BEGIN IMMEDIATE``. Here the driver stays out
    of it and every transaction is begun explicitly. PostgreSQL needs nothing at connect.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        writing = conn.get_execution_options().get(_WRITE_LOCK, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the store's write lock from its first statement to commit.

    Two crawler processes writing one store then decide duplicates one after the other, so
    two copies of a story can never both see no original and both become one. On SQLite the
    lock is ``BEGIN IMMEDIATE`` (the engine must come from :func:`serialise_writers`'s
    ``make_engine(..., writer=True)``); on PostgreSQL a transaction-scoped advisory lock,
    released at commit or rollback. PostgreSQL's READ COMMITTED isolation gives each
    statement a fresh snapshot, so once the lock is held every earlier writer's rows are
    visible.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_LOCK: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
            yield conn


def insert_ignoring_duplicates(conn: Connection, table: type[DeclarativeBase]) -> Insert:
    """``INSERT`` that skips rows whose key is already stored, in the dialect's spelling."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"newscrawl does not write to {conn.dialect.name} databases")
