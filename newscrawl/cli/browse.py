"""``newscrawl serve``: browse the store in Datasette (the optional ``web`` extra)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from newscrawl.cli.group import cli
from newscrawl.cli.options import db_option
from newscrawl.query.datasette import DEFAULT_PORT


@cli.command()
@db_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 makes the store reachable from other machines).",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
    help="Port to listen on.",
)  # fmt: skip
@click.option(
    "--immutable",
    is_flag=True,
    help="Open the file as immutable, for a store nothing writes to any more (a copy, "
    "read-only media). By default it is opened read-only and shows what crawls add.",
)
def serve(db: str | None, host: str, port: int, immutable: bool) -> None:
    """Browse and search the store in Datasette, in a web browser (needs the `web` extra).

    Full-text search on articles and stories, facets by source, date, language and tags,
    every column described, and saved queries: a search with snippets, the copies of a
    story, articles per source per day, what the last runs did. The store is opened
    read-only. Ctrl-C stops the server.

    \b
    Example:
        pip install -e '.[web]'
        newscrawl serve --port 8001     # then open http://127.0.0.1:8001/news
    """
    from newscrawl.query.datasette import NotAStoreError, check_store, datasette_arguments
    from newscrawl.query.datasette import datasette_metadata as metadata_for
    from newscrawl.store.engine import resolve_db_url, sqlite_path

    path = sqlite_path(resolve_db_url(db))
    if path is None:
        raise click.ClickException(
            "serve works on SQLite store files only: Datasette cannot open a PostgreSQL or "
            "other server database (query it with the other commands, or psql)"
        )
    try:
        from datasette.cli import cli as datasette_cli
    except ImportError as exc:
        raise click.ClickException(
            "serve needs Datasette: pip install -e '.[web]' (or pip install 'newscrawl[web]')"
        ) from exc
    try:
        check_store(path)
    except NotAStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    with tempfile.TemporaryDirectory() as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(metadata_for(path), ensure_ascii=False), encoding="utf-8")
        click.echo(f"Serving {path} at http://{host}:{port}/{path.stem} (Ctrl-C stops)", err=True)
        arguments = datasette_arguments(path, metadata, host=host, port=port, immutable=immutable)
        datasette_cli.main(arguments, prog_name="datasette", standalone_mode=False)
