"""Commands about the store itself: ``db upgrade`` and ``db version``."""

from __future__ import annotations

import click

from newscrawl.cli.group import cli
from newscrawl.cli.options import db_option, store_location


@cli.group()
def db() -> None:
    """The store's schema version, and upgrading a store made by an older newscrawl.

    \b
    Example:
        newscrawl db version
        newscrawl db upgrade --db data/news.db
    """


@db.command()
@db_option
def upgrade(db: str | None) -> None:
    """Upgrade the store in place to this newscrawl's schema; nothing stored is lost.

    `crawl`, `demo` and `reindex` do this by themselves; query commands ask for it. Back up
    the file first if older newscrawl copies must keep reading it.

    \b
    Example:
        cp data/news.db data/news-backup.db && newscrawl db upgrade
    """
    from newscrawl.store.migrations import StoreError, head, prepare_store

    url, where = store_location(db, must_exist=True)
    try:
        before = prepare_store(url)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if before.revision == head():
        click.echo(f"{where} is already at store version {head()}")
    else:
        click.echo(f"{where} upgraded from store version {before.revision} to {head()}")


@db.command()
@db_option
def version(db: str | None) -> None:
    """Print the store's schema version and the one this newscrawl writes. Changes nothing.

    \b
    Example:
        newscrawl db version --db data/news.db
    """
    from newscrawl.store.migrations import StoreError, head, read_state

    url, where = store_location(db, must_exist=True)
    try:
        state = read_state(url, where)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if state.kind != "newscrawl":
        raise click.ClickException(f"{where} is not a newscrawl store ({state.kind} database)")
    click.echo(f"store version {state.revision} (this newscrawl: {head()})")
