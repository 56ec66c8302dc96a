"""Commands that maintain the store or work beside it: reindex, extract."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from newscrawl.cli.group import cli
from newscrawl.cli.options import db_option, open_store


@cli.command()
@db_option
def reindex(db: str | None) -> None:
    """Rebuild the full-text and near-duplicate indexes from the stored articles.

    Needed only after restoring a damaged file or changing the dedupe index's shape; the
    crawl keeps both indexes up to date by itself. Linear in the store's size. On
    PostgreSQL the search column is computed with each row, so only its index is rebuilt.

    \b
    Example:
        newscrawl reindex --db data/news.db
    """
    from newscrawl.dedupe.index import NearDuplicateIndex
    from newscrawl.store.backends import rebuild_fulltext

    engine = open_store(db, write=True)
    with engine.begin() as conn:
        fulltext = rebuild_fulltext(conn)
        indexed = NearDuplicateIndex().rebuild(conn)
    engine.dispose()
    click.echo(f"Reindexed: {fulltext}, and {indexed} stories in the near-duplicate index.")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--url",
    help="The page's address (for relative links and the canonical URL) "
    "[default: the page's own rel=canonical or og:url].",
)
@click.option("--jsonl", is_flag=True, help="One JSON object per line instead of indented JSON.")
def extract(paths: tuple[str, ...], url: str | None, jsonl: bool) -> None:
    """Extract saved HTML files (or every .html / .html.gz file in a folder).

    Prints one JSON object per file: the article's fields, or {"file": ..., "error": REASON}.
    Without --url each page is read at the address it declares (rel=canonical, else og:url),
    so saved home and tag pages are recognised as listings. Exits 1 when no file gave an
    article.

    \b
    Example:
        newscrawl extract saved/ --jsonl > articles.jsonl
    """
    from newscrawl.extraction.saved_pages import extract_files

    files = articles = 0
    for record in extract_files([Path(p) for p in paths], url):
        files += 1
        articles += "error" not in record
        click.echo(json.dumps(record, ensure_ascii=False, indent=None if jsonl else 2))
    if not articles:
        click.echo(f"Error: no article in {files} file{'s' * (files != 1)}", err=True)
        sys.exit(1)
