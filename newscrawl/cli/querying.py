"""Commands that read the store: stats, search, runs, copies, export."""

from __future__ import annotations

import csv
import json
from typing import Any

import click

from newscrawl import queries
from newscrawl.cli.group import cli
from newscrawl.cli.options import db_option, emit, open_store, output_options


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
    emit(queries.stats(engine), fmt)
    if fmt is None:
        kept_pages_line(engine)


def kept_pages_line(engine: Any) -> None:
    """How much the kept pages (article_pages) take, below the table."""
    from sqlalchemy.exc import OperationalError

    from newscrawl.pages import pages_size

    try:
        with engine.connect() as conn:
            size = pages_size(conn)
    except OperationalError:  # a store from before pages were kept
        return
    click.echo(
        f"Kept pages: {size.pages}, {human_bytes(size.stored_bytes)} compressed "
        f"({human_bytes(size.fetched_bytes)} as fetched)"
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
@click.option("--since", metavar="DATE", help="Published on or after DATE (2024-05-01).")
@click.option("--all", "include_duplicates", is_flag=True, help="Include duplicate copies.")
@click.option("--sql", "show_sql", is_flag=True, help="Show the SQL instead of running it.")
def search(
    query: str,
    db: str | None,
    fmt: str | None,
    limit: int,
    source: str | None,
    since: str | None,
    include_duplicates: bool,
    show_sql: bool,
) -> None:
    """Full-text search over titles and texts, best matches first.

    QUERY is FTS5 syntax ("exact phrase", AND, OR, NOT, prefix*); plain words work too.

    \b
    Example:
        newscrawl search '"harbour bridge" NOT traffic' --since 2024-01-01
    """
    if show_sql:
        sql, _ = queries.search_sql(source, since, include_duplicates)
        click.echo(sql.strip())
        return
    try:
        rows = queries.search(
            open_store(db), query, limit=limit, source=source, since=since,
            include_duplicates=include_duplicates,
        )  # fmt: skip
    except queries.QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    emit(rows, fmt, ["id", "source", "published_at", "title", "snippet"] if not fmt else None)


@cli.command()
@db_option
@output_options
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 10_000))
def runs(db: str | None, fmt: str | None, limit: int) -> None:
    """Recent crawl runs: when, how they ended, and what they did.

    \b
    Example:
        newscrawl runs --limit 5
    """
    emit(queries.runs(open_store(db), limit), fmt)


@cli.command()
@click.argument("story")
@db_option
@output_options
def copies(story: str, db: str | None, fmt: str | None) -> None:
    """Every copy of a story (by article id or URL), with its source and how it matched.

    \b
    Example:
        newscrawl copies 42
    """
    rows = queries.copies(open_store(db), story)
    if not rows:
        raise click.ClickException(f"no article with id or url {story!r}")
    emit(rows, fmt)


@cli.command()
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write [default: stdout].",
)
@click.option("--source", help="Only this source.")
@click.option("--since", metavar="DATE", help="Published on or after DATE.")
@click.option("--all", "include_duplicates", is_flag=True, help="Include duplicate copies.")
def export(
    db: str | None,
    fmt: str,
    output: Any,
    source: str | None,
    since: str | None,
    include_duplicates: bool,
) -> None:
    """Export articles (stories only unless --all) as JSON lines or CSV.

    \b
    Example:
        newscrawl export --since 2024-05-01 -o may.jsonl
    """
    rows = queries.export_rows(
        open_store(db), source=source, since=since, include_duplicates=include_duplicates
    )
    if fmt == "csv":
        writer = csv.DictWriter(output, fieldnames=list(queries.EXPORT_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    **row,
                    "categories": json.dumps(row["categories"]),
                    "tags": json.dumps(row["tags"]),
                }
            )
        return
    for row in rows:
        output.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
