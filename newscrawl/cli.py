"""The ``newscrawl`` command: crawl, try the demo, and query the store.

Each command's docstring is its --help; docs/cli.md documents them all.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from newscrawl import __version__, queries
from newscrawl.db import make_engine, resolve_db_url, sqlite_path

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
F = TypeVar("F", bound=Callable[..., Any])
EXIT_FAILED = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later
EXIT_INTERRUPTED = 130


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="newscrawl")
def cli() -> None:
    """Crawl news sites into a clean, deduplicated SQLite store, and query it.

    \b
    Example:
        newscrawl demo                 # offline: crawl a bundled sample site
        newscrawl search "harbour bridge"
    """


def main() -> None:
    cli()


# --- shared options -------------------------------------------------------------------------
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


def open_store(db: str | None, *, must_exist: bool = True) -> Any:
    """An engine for the store, or a clear error instead of a traceback."""
    try:
        url = resolve_db_url(db)
        path = sqlite_path(url)
        if must_exist and path is not None and not path.exists():
            raise click.ClickException(
                f"no database at {path}. Run `newscrawl crawl` or `newscrawl demo` first, "
                "or point --db / NEWSCRAWL_DB at an existing store."
            )
        # The file exists (or is not a file at all): creating only adds what is missing.
        return make_engine(url)
    except ArgumentError as exc:
        raise click.ClickException(f"not a database URL: {db!r} ({exc})") from exc
    except (OperationalError, SQLAlchemyError) as exc:
        raise click.ClickException(f"cannot open the database: {exc}") from exc


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


# --- crawling -------------------------------------------------------------------------------
def crawl_and_report(
    spider: str, arguments: dict[str, str], overrides: dict[str, Any], db: str | None
) -> None:
    from newscrawl.runlock import AlreadyRunningError, crawl_lock
    from newscrawl.runner import run_spider

    url = resolve_db_url(db)
    overrides["NEWSCRAWL_DB"] = url
    try:
        with crawl_lock(url):
            stats = run_spider(spider, arguments, overrides)
    except AlreadyRunningError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    summary = queries.summarize_run(stats)
    status = stats.get("newscrawl/run_status") or (
        "finished" if stats.get("finish_reason") == "finished" else "failed"
    )
    click.echo(
        f"Run {stats.get('newscrawl/run_id', '?')} {status}: "
        + ", ".join(f"{k} {v}" for k, v in summary.items()),
        err=True,
    )
    if status == "interrupted":
        sys.exit(EXIT_INTERRUPTED)
    if status != "finished":
        sys.exit(EXIT_FAILED)


@cli.command()
@db_option
@click.option(
    "--sources", type=click.Path(dir_okay=False), help="Sources file [default: data/sources.toml]."
)
@click.option("--only", metavar="NAME[,NAME...]", help="Crawl only these sources.")
@click.option("--refresh", is_flag=True, help="Download known articles again and update them.")
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Scrapy or NEWSCRAWL_* setting.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="INFO",
    show_default=True,
)
def crawl(
    db: str | None,
    sources: str | None,
    only: str | None,
    refresh: bool,
    settings: tuple[str, ...],
    log_level: str,
) -> None:
    """Crawl every source in the sources file (the `news` spider): the entry point for cron.

    Exits 0 when the run finished, 1 when it failed (bad sources file, nothing could be
    fetched), 75 when another crawl is still running on the same store, 130 when
    interrupted. Interrupting (Ctrl-C, SIGTERM) stops cleanly: what was
    fetched is stored and the run is recorded as interrupted.

    \b
    Example:
        newscrawl crawl --only bbc,guardian
        */30 * * * * cd /srv/newscrawl && .venv/bin/newscrawl crawl >> data/cron.log 2>&1
    """
    from newscrawl.sources import SourcesError, load_sources, select_sources

    try:
        select_sources(load_sources(sources), only)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    arguments = {k: v for k, v in {"sources": sources, "only": only}.items() if v}
    if refresh:
        arguments["refresh"] = "1"
    overrides: dict[str, Any] = {"LOG_LEVEL": log_level, **parse_setting(settings)}
    crawl_and_report("news", arguments, overrides, db)


@cli.command()
@db_option
@click.option("--serve", is_flag=True, help="Keep serving the sample sites after the crawl.")
def demo(db: str | None, serve: bool) -> None:
    """Serve the bundled sample news sites on 127.0.0.1 and crawl them into the store.

    Works offline: two small outlets (a feed and a sitemap) with a syndicated story.

    \b
    Example:
        newscrawl demo && newscrawl search storm
    """
    from newscrawl.demo_server import demo_servers, demo_sources_toml

    with demo_servers() as servers, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "demo-sources.toml"
        sources.write_text(demo_sources_toml(servers), encoding="utf-8")
        for name, server in servers.items():
            click.echo(f"Serving {name} at {server.base_url}", err=True)
        overrides = {
            "LOG_LEVEL": "WARNING",
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "NEWSCRAWL_SOURCES": str(sources),
        }
        try:
            crawl_and_report("news", {"sources": str(sources), "refresh": "1"}, overrides, db)
        finally:
            click.echo(f"Database: {resolve_db_url(db)}", err=True)
            where = f" --db {db}" if db else ""
            click.echo(f"Next: newscrawl stats{where}; newscrawl search storm{where}", err=True)
        if serve:
            click.echo("Serving until Ctrl-C", err=True)
            try:
                import time

                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


# --- querying -------------------------------------------------------------------------------
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


@cli.command()
@db_option
def reindex(db: str | None) -> None:
    """Rebuild the full-text and near-duplicate indexes from the stored articles.

    Needed only after restoring a damaged file or changing the dedupe index's shape; the
    crawl keeps both indexes up to date by itself. Linear in the store's size.

    \b
    Example:
        newscrawl reindex --db data/news.db
    """
    from sqlalchemy import text

    from newscrawl.db import has_fts
    from newscrawl.dedupe import NearDuplicateIndex

    engine = open_store(db)
    with engine.begin() as conn:
        if has_fts(engine):
            conn.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"))
        indexed = NearDuplicateIndex().rebuild(conn)
    click.echo(f"Reindexed: full text, and {indexed} stories in the near-duplicate index.")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--url", help="The page's address (for relative links and the canonical URL).")
@click.option("--jsonl", is_flag=True, help="One JSON object per line instead of indented JSON.")
def extract(paths: tuple[str, ...], url: str | None, jsonl: bool) -> None:
    """Extract saved HTML files (or every .html / .html.gz file in a folder).

    Prints one JSON object per file: the article's fields, or {"file": ..., "error": REASON}.

    \b
    Example:
        newscrawl extract saved/ --jsonl > articles.jsonl
    """
    from newscrawl.saved_pages import extract_files

    for record in extract_files([Path(p) for p in paths], url):
        click.echo(json.dumps(record, ensure_ascii=False, indent=None if jsonl else 2))
