"""The click group every command registers on."""

from __future__ import annotations

import click

from newscrawl import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="newscrawl")
def cli() -> None:
    """Crawl news sites into a clean, deduplicated SQLite store, and query it.

    \b
    Example:
        newscrawl demo                 # offline: crawl a bundled sample site
        newscrawl search "harbour bridge"
    """
