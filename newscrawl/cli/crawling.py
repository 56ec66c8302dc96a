"""Commands that crawl: ``crawl`` (the cron entry point) and ``demo``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from newscrawl import queries
from newscrawl.cli.group import cli
from newscrawl.cli.options import db_option, open_store, parse_setting
from newscrawl.db import resolve_db_url
from newscrawl.demo_server import DEMO_PORT

EXIT_FAILED = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later
EXIT_INTERRUPTED = 130


def crawl_and_report(
    spider: str, arguments: dict[str, str], overrides: dict[str, Any], db: str | None
) -> None:
    from newscrawl.runlock import AlreadyRunningError, crawl_lock
    from newscrawl.runner import run_spider

    url = resolve_db_url(db)
    overrides["NEWSCRAWL_DB"] = url
    open_store(url, write=True).dispose()  # create or upgrade it, or say why it cannot be
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
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEMO_PORT,
    show_default=True,
    help="Port of the first sample site; the second gets the next one. Articles are stored "
    "under these addresses, so keep them to re-run the demo (0: any free ports).",
)
@click.option("--serve", is_flag=True, help="Keep serving the sample sites after the crawl.")
def demo(db: str | None, port: int, serve: bool) -> None:
    """Serve the bundled sample news sites on 127.0.0.1 and crawl them into the store.

    Works offline: two small outlets (a feed and a sitemap) with a syndicated story. The
    sites are served on fixed ports, so a second run finds the same articles at the same
    addresses and stores nothing new. --serve keeps them up until Ctrl-C.

    \b
    Example:
        newscrawl demo && newscrawl search storm
        newscrawl demo --serve --port 9000
    """
    from newscrawl.demo_server import (
        PortInUseError,
        demo_sources_toml,
        serve_demo,
        stop_all,
        stop_signals,
        wait_until,
    )

    try:
        servers = serve_demo(port=port)
    except PortInUseError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        with tempfile.TemporaryDirectory() as tmp:
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
            with stop_signals() as stop:
                click.echo("Serving until Ctrl-C", err=True)
                wait_until(stop)
            click.echo("Stopped serving", err=True)
    finally:
        stop_all(servers)
