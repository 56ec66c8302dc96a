"""Opening the store before a crawl starts, so a wrong one is a one-line error.

A file that is not a SQLite database, a URL without its driver or a folder that cannot be
written would otherwise surface mid-crawl as a traceback from a pipeline.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from newscrawl.store.engine import (
    make_engine,
    one_line_reason,
    resolve_db_url,
    sqlite_path,
    store_name,
)
from newscrawl.store.migrations import StoreError
from newscrawl.store.schema import CrawlRunRow

# The DBAPI module SQLAlchemy imports for a dialect, and what to install for it.
DRIVERS = {
    "psycopg2": "the psycopg2 driver (pip install psycopg2-binary), "
    "or psycopg 3 (pip install 'psycopg[binary]') with a postgresql+psycopg:// URL",
    "psycopg": "the psycopg driver: pip install -e '.[postgres]' (or 'psycopg[binary]')",
    "pymysql": "the PyMySQL driver: pip install pymysql",
    "MySQLdb": "the mysqlclient driver (pip install mysqlclient), or PyMySQL with mysql+pymysql://",
}


def store_url(db: str | None) -> str:
    """The resolved URL of ``db`` (a URL or a file path), checked to parse as a URL and to
    name a store that outlives the crawl."""
    try:
        url = resolve_db_url(db)
        path = sqlite_path(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {db!r}") from exc
    if path is None and url.startswith("sqlite"):
        # Each connection would have a database of its own, and the articles would go with
        # the crawl's process.
        raise StoreError(
            f"{url!r} is an in-memory SQLite database, gone when the crawl ends: give a file "
            "(NEWSCRAWL_DB=data/news.db or sqlite:///path/news.db)"
        )
    return url


def check_store(url: str) -> None:
    """Opens the store at ``url``, creating or upgrading its schema (as every writer does),
    and reads from it; :class:`StoreError` (the migrations' own) says why it cannot."""
    where = store_name(url)
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"not a database URL newscrawl can use: {url!r} ({exc})") from exc
    except ImportError as exc:
        module = exc.name or ""
        needs = DRIVERS.get(module, f"the Python module {module!r}")
        raise StoreError(f"the database URL {url.split('://')[0]}:// needs {needs}") from exc
    except OSError as exc:
        raise StoreError(f"cannot create the store at {where}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store at {where}: {one_line_reason(exc)}") from exc
    try:
        with engine.connect() as conn:
            conn.execute(select(func.count()).select_from(CrawlRunRow))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the store at {where}: {one_line_reason(exc)}") from exc
    finally:
        engine.dispose()
