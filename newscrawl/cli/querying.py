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
    emit(queries.stats(open_store(db)), fmt)


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


RUNS_TABLE = ["id", "spider", "started_at", "status", "new", "updated", "unchanged",
              "duplicates", "skipped", "errors", "failed"]  # fmt: skip


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
        emit(queries.runs(engine, limit), fmt, RUNS_TABLE if not fmt else None)
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
