"""Commands that read the store: stats, search, runs, copies, show (export: exporting.py).

They open the store read-only (newscrawl.cli.options.open_store) and never change it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from newscrawl.cli.group import cli
from newscrawl.cli.options import (
    date_options,
    db_option,
    emit,
    open_store,
    output_options,
    store_location,
)
from newscrawl.cli.output import plain, to_json
from newscrawl.crawl.outcome import summarize_run
from newscrawl.query import reads as queries


@cli.command()
@db_option
@output_options
def stats(db: str | None, fmt: str | None) -> None:
    """Articles per source: stories, duplicates, first and last publication.

    \b
    Example:
        newscrawl stats --csv > per-source.csv
    """
    engine = open_store(db)
    listing = queries.stats(engine)
    emit(listing.rows, fmt, listing.columns)
    if fmt is None:
        kept_pages_line(engine)


def kept_pages_line(engine: Any) -> None:
    """How much the kept pages (article_pages) take, below the table."""
    from newscrawl.store.pages import pages_size

    # open_store refuses stores older than this version, so article_pages is always there.
    with engine.connect() as conn:
        size = pages_size(conn)
    # On stderr: stdout holds the table alone, one line per source, for scripts and pipes.
    click.echo(
        f"Kept pages: {size.pages}, {human_bytes(size.stored_bytes)} compressed "
        f"({human_bytes(size.fetched_bytes)} as fetched)",
        err=True,
    )


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "kB", "MB"):
        if size < 1000:
            return f"{count} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


@cli.command()
@click.argument("query")
@db_option
@output_options
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--source", help="Only this source.")
@date_options
@click.option("--all", "include_duplicates", is_flag=True, help="Include duplicate copies.")
@click.option("--sql", "show_sql", is_flag=True, help="Show the SQL instead of running it.")
def search(
    query: str,
    db: str | None,
    fmt: str | None,
    limit: int,
    source: str | None,
    since: datetime | None,
    until: datetime | None,
    include_duplicates: bool,
    show_sql: bool,
) -> None:
    """Full-text search over titles and texts, best matches first, with the URL and a
    snippet around the hit.

    QUERY is FTS5 syntax on SQLite ("exact phrase", AND, OR, NOT, prefix*) and web-search
    syntax on PostgreSQL ("exact phrase", or, -word); plain words work on both.

    \b
    Example:
        newscrawl search '"harbour bridge" NOT traffic' --since 2024-01-01
        newscrawl search storm --since 7d --jsonl
    """
    filters = queries.Filters(source, since, until, include_duplicates)
    if show_sql:
        from sqlalchemy.engine import make_url

        dialect = make_url(store_location(db, must_exist=False)[0]).get_dialect()()
        statement = queries.search_statement(dialect.name, query, limit, filters)
        click.echo(queries.show_sql(statement, dialect))
        return
    engine = open_store(db)
    try:
        listing = queries.search(engine, query, limit=limit, filters=filters)
    except queries.QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    emit(listing.rows, fmt, listing.columns, focus="snippet")


RUNS_TABLE = ["id", "spider", "started_at", "status", "new", "updated", "unchanged",
              "duplicates", "skipped", "errors", "failed"]  # fmt: skip
# Every column of a runs listing, so --csv has its header even when there is no run yet.
RUNS_COLUMNS = [*queries.RUN_LIST_COLUMNS, *summarize_run({}), "failed"]


@cli.command()
@click.argument("run_id", metavar="[ID]", required=False, type=int)
@db_option
@output_options
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 10_000))
def runs(run_id: int | None, db: str | None, fmt: str | None, limit: int) -> None:
    """Recent crawl runs: how they ended, what they did, and which sources failed and why.

    With a run ID, that run alone with its arguments and full stats.

    \b
    Example:
        newscrawl runs --limit 5
        newscrawl runs 12 --json
    """
    engine = open_store(db)
    if run_id is None:
        emit(queries.runs(engine, limit), fmt, RUNS_COLUMNS if fmt else RUNS_TABLE)
        return
    run = queries.run(engine, run_id)
    if run is None:
        raise click.ClickException(f"no run with id {run_id}")
    if fmt:
        emit([run], fmt)
        return
    stats = run.pop("stats")
    arguments = run.pop("arguments")
    rows = [{"name": k, "value": v} for k, v in run.items()]
    rows += [{"name": f"-a {k}", "value": v} for k, v in sorted(arguments.items())]
    rows += [{"name": k, "value": v} for k, v in sorted(stats.items())]
    emit(rows, None, ["name", "value"])


@cli.command()
@click.argument("article")
@db_option
@output_options
def copies(article: str, db: str | None, fmt: str | None) -> None:
    """Every copy of a story, original first, with its source and how it matched.

    ARTICLE is an article id or any address of one: its URL, or another address that led
    to it (a redirect, a tracking-parameter or AMP address).

    \b
    Example:
        newscrawl copies 42
        newscrawl copies 'https://example.com/story?utm_source=rss'
    """
    listing = queries.copies(open_store(db), article)
    if listing is None:
        raise click.ClickException(f"no article with id or address {article!r}")
    emit(listing.rows, fmt, listing.columns)


@cli.command()
@click.argument("article")
@db_option
@click.option("--json", "fmt", flag_value="json", help="Output one JSON object.")
@click.option("--jsonl", "fmt", flag_value="jsonl", help="Output one JSON object on one line.")
def show(article: str, db: str | None, fmt: str | None) -> None:
    """One article with all its metadata, its other addresses, its text and its copies.

    ARTICLE is an article id or any address of one (normalised, aliases included).

    \b
    Example:
        newscrawl show 42
        newscrawl show 'https://example.com/story/amp' --json
    """
    found = queries.article(open_store(db), article)
    if found is None:
        raise click.ClickException(f"no article with id or address {article!r}")
    if fmt:
        click.echo(to_json(found, 2 if fmt == "json" else None))
        return
    print_article(found)


def print_article(found: dict[str, Any]) -> None:
    fields = [k for k in found if k not in ("text", "copies", "addresses")]
    width = max(len(k) for k in fields)
    for key in fields:
        value = found[key]
        shown = ", ".join(value) if isinstance(value, list) else str(plain(value))
        click.echo(f"{key.ljust(width)}  {'' if value is None else shown}")
    click.echo(f"{'addresses'.ljust(width)}  " + f"\n{' ' * (width + 2)}".join(found["addresses"]))
    click.echo("\n" + found["text"] + "\n")
    click.echo("Copies of this story:")
    emit(found["copies"], None, queries.COPY_COLUMNS)
