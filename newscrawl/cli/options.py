"""What the commands share: the --db and output options, opening the store, printing rows."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from newscrawl.db import make_engine, resolve_db_url, sqlite_path

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

F = TypeVar("F", bound=Callable[..., Any])


def db_option(fn: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        help="Database: SQLAlchemy URL or SQLite file path "
        "[default: $NEWSCRAWL_DB, else data/news.db in the project folder]",
    )(fn)


def output_options(fn: F) -> F:
    """--json, --jsonl, --csv or a plain table (the default)."""
    for option in (
        click.option("--csv", "fmt", flag_value="csv", help="Output CSV."),
        click.option("--jsonl", "fmt", flag_value="jsonl", help="Output one JSON object a line."),
        click.option("--json", "fmt", flag_value="json", help="Output a JSON array."),
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
    return url, str(path or make_url(url).render_as_string(hide_password=True))


def open_store(db: str | None, *, write: bool = False) -> Engine:
    """An engine for an existing store, or a one-line error instead of a traceback.

    Readers open the file read-only and refuse anything but a store of the current
    version; writers (``write``) upgrade an older store first, or create a new one.
    """
    from newscrawl.migrations import StoreError, describe_problem, read_state

    url, where = store_location(db, must_exist=not write)
    try:
        if write:
            return make_engine(url)
        problem = describe_problem(read_state(url, where), where, writing=False)
        if problem:
            raise click.ClickException(problem)
        return make_engine(url, create=False, readonly=True)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot open the database {where}: {exc}") from exc


def emit(rows: Iterable[dict[str, Any]], fmt: str | None, columns: list[str] | None = None) -> None:
    rows = list(rows)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    if fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return
    print_table(rows, columns)


def print_table(rows: list[dict[str, Any]], columns: list[str], width: int = 60) -> None:
    if not rows:
        click.echo("(no rows)")
        return

    def cell(value: Any) -> str:
        text = "" if value is None else str(value).replace("\n", " ")
        return text if len(text) <= width else text[: width - 1] + "…"

    table = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for r in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))


def parse_setting(values: tuple[str, ...]) -> dict[str, str]:
    settings = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: use NAME=VALUE", param_hint="-s/--set")
        settings[name.strip()] = setting
    return settings
