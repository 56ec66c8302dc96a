"""What the commands share: the --db and date options, opening the store; the output
options and printing rows are in ``output`` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from newscrawl.cli.output import emit, output_options
from newscrawl.store.engine import (
    make_engine,
    one_line_reason,
    resolve_db_url,
    sqlite_path,
    store_name,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

F = TypeVar("F", bound=Callable[..., Any])
# emit and output_options live in output.py; commands import them from here too.
__all__ = [
    "InstantParam", "date_options", "db_option", "emit", "open_store", "output_options",
    "parse_setting", "store_location",
]  # fmt: skip


def db_option(fn: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        help="Database: SQLAlchemy URL or SQLite file path "
        "[default: $NEWSCRAWL_DB, else data/news.db in the project folder]",
    )(fn)


class InstantParam(click.ParamType):  # type: ignore[type-arg]
    """An ISO 8601 date or datetime, or an age (24h, 7d), as an aware UTC datetime."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from newscrawl.query.instants import InstantError, parse_instant

        if isinstance(value, datetime):
            return value
        try:
            return parse_instant(str(value))
        except InstantError as exc:
            self.fail(str(exc), param, ctx)


def date_options(fn: F) -> F:
    """--since and --until: published on or after / on or before an instant."""
    for option in (
        click.option(
            "--until",
            type=InstantParam(),
            help="Published on or before DATE: 2024-05-31, 2024-05-31T18:00+02:00, 24h, 7d.",
        ),
        click.option(
            "--since",
            type=InstantParam(),
            help="Published on or after DATE: 2024-05-01, 2024-05-01T09:30Z, 30m, 24h, 7d, 2w.",
        ),
    ):
        fn = option(fn)
    return fn


def store_location(db: str | None, *, must_exist: bool) -> tuple[str, str]:
    """The store's URL and how to name it in messages; a one-line error for a bad --db."""
    try:
        url = resolve_db_url(db)
    except ArgumentError as exc:
        raise click.ClickException(f"not a database URL: {db!r} ({exc})") from exc
    path = sqlite_path(url)
    if path is not None and path.is_dir():
        raise click.ClickException(f"{path} is a folder, not a database file")
    if must_exist and path is not None and not path.exists():
        raise click.ClickException(
            f"no database at {path}. Run `newscrawl crawl` or `newscrawl demo` first, "
            "or point --db / NEWSCRAWL_DB at an existing store."
        )
    return url, store_name(url)


def open_store(db: str | None, *, write: bool = False) -> Engine:
    """An engine for an existing store, or a one-line error instead of a traceback.

    Readers open the file read-only and refuse anything but a store of the current
    version; writers (``write``) upgrade an older store first, or create a new one.
    """
    from newscrawl.store.migrations import StoreError, describe_problem, read_state

    url, where = store_location(db, must_exist=not write)
    try:
        if write:
            engine = make_engine(url)
        else:
            problem = describe_problem(read_state(url, where), where, writing=False)
            if problem:
                raise click.ClickException(problem)
            engine = make_engine(url, create=False, readonly=True)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"cannot open the database {where}: {one_line_reason(exc)}"
        ) from exc
    # A server's connections are closed when the command ends, not left to the collector.
    click.get_current_context().call_on_close(engine.dispose)
    return engine


def parse_setting(values: tuple[str, ...]) -> dict[str, str]:
    settings = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: use NAME=VALUE", param_hint="-s/--set")
        settings[name.strip()] = setting
    return settings
