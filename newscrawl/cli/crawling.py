"""Commands that crawl: ``crawl`` (the cron entry point) and ``demo``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from newscrawl.cli.group import cli
from newscrawl.cli.options import db_option, parse_setting
from newscrawl.demo.outlets import DEMO_PORT
from newscrawl.store.engine import resolve_db_url


def crawl_and_report(
    spider: str,
    arguments: dict[str, str],
    overrides: dict[str, Any],
    db: str | None,
    *,
    verbose: bool = False,
) -> None:
    """Runs the crawl, prints its one-line summary and exits with its status when not 0."""
    from newscrawl.crawl.run import RunError, project_settings, run

    settings = project_settings(overrides)
    if db:
        settings.set("NEWSCRAWL_DB", db, priority="cmdline")
    try:
        outcome = run(spider, arguments, settings, verbose=verbose)
    except RunError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    click.echo(outcome.summary, err=True)
    if outcome.exit_code:
        sys.exit(outcome.exit_code)


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
@click.option("-v", "--verbose", is_flag=True, help="The full log on stderr too.")
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    help="Level of the run log; given, the log is shown on stderr too [default: INFO].",
)
def crawl(
    db: str | None,
    sources: str | None,
    only: str | None,
    refresh: bool,
    settings: tuple[str, ...],
    verbose: bool,
    log_level: str | None,
) -> None:
    """Crawl every source in the sources file (the `news` spider): the entry point for cron.

    Quiet by default: stderr gets warnings and a one-line summary; the full log of the run
    goes to data/logs/<run id>.log (a progress line is shown on a terminal).

    \b
    Exit status (docs/operations.md):
      0    every source worked
      3    the run finished but some sources failed (listed in the summary)
      1    nothing could be fetched, or bad arguments, settings, store or sources file
      75   another crawl is still running on the same store
      130  interrupted (Ctrl-C, SIGTERM): what was fetched is stored

    \b
    Example:
        newscrawl crawl --only bbc,guardian
        */30 * * * * cd /srv/newscrawl && .venv/bin/newscrawl crawl 2>> data/cron.log
    """
    from newscrawl.crawl.sources import SourcesError, load_sources, select_sources

    try:
        select_sources(load_sources(sources), only)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    arguments = {k: v for k, v in {"sources": sources, "only": only}.items() if v}
    if refresh:
        arguments["refresh"] = "1"
    overrides: dict[str, Any] = parse_setting(settings)
    if log_level:
        overrides["LOG_LEVEL"] = log_level
    crawl_and_report("news", arguments, overrides, db, verbose=verbose or bool(log_level))


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
    from newscrawl.demo.outlets import (
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
                # The demo is one process on its own sites: never a deployment's shared queue.
                "NEWSCRAWL_REDIS_URL": "",
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
