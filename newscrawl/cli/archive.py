"""Commands over what the store keeps beside each article: ``reextract`` (the fetched
pages) and ``history`` (earlier versions)."""

from __future__ import annotations

import json
from datetime import datetime

import click

from newscrawl.cli.group import cli
from newscrawl.cli.options import (
    InstantParam,
    db_option,
    emit,
    open_store,
    output_options,
    store_location,
)


@cli.command()
@db_option
@click.option(
    "--since",
    type=InstantParam(),
    help="Only pages fetched on or after DATE: 2024-05-01, 2024-05-01T09:30Z, 24h, 7d.",
)
@click.option("--source", help="Only this source's articles.")
def reextract(db: str | None, since: datetime | None, source: str | None) -> None:
    """Re-run extraction on the kept pages and update the articles whose fields changed.

    For after an upgrade of newscrawl's extraction: no page is fetched again. Prints how
    many articles changed, stayed the same, or failed to extract (those keep their stored
    fields). Pages are kept unless NEWSCRAWL_KEEP_PAGES is off.

    \b
    Example:
        newscrawl reextract --source gazette --since 2024-05-01
    """
    from newscrawl.config import Config
    from newscrawl.crawl.run import project_settings
    from newscrawl.store.engine import make_engine
    from newscrawl.store.reextract import reextract as run

    url, _ = store_location(db, must_exist=True)
    open_store(db, write=True).dispose()  # upgrades an older store; one-line errors
    # Writers take the write lock when they begin, as the crawl's store does.
    engine = make_engine(url, create=False, writer=True)
    try:
        min_words = Config.from_settings(project_settings()).min_words
        report = run(engine, since=since, source=source, min_words=min_words)
    finally:
        engine.dispose()
    if not report.pages:
        click.echo(
            "No kept pages to re-extract"
            + (" for these options" if since or source else "")
            + " (pages are kept from crawls run with NEWSCRAWL_KEEP_PAGES on, the default)."
        )
        return
    click.echo(report.line())


@cli.command()
@click.argument("article", metavar="ID|URL")
@db_option
@output_options
@click.option(
    "--diff",
    nargs=2,
    type=click.IntRange(min=1),
    metavar="A B",
    help="Show what changed from version A to version B, word by word.",
)
def history(article: str, db: str | None, fmt: str | None, diff: tuple[int, int] | None) -> None:
    """The versions of an article, oldest first, and a word diff between any two.

    A new version is kept each time a crawl finds the article's title or text changed at
    the source (crawl with --refresh, or -a refresh=1, to look again). The highest number
    is the current version. In a diff, [-removed words-] and {+added words+} are marked.

    \b
    Example:
        newscrawl history 42
        newscrawl history https://www.example.com/news/story.html --diff 1 2
    """
    from newscrawl.store.versions import find_article, versions, word_diff

    engine = open_store(db)
    with engine.connect() as conn:
        article_id = find_article(conn, article)
        if article_id is None:
            raise click.ClickException(f"no article {article!r} in the store")
        found = versions(conn, article_id)
    if diff is None:
        emit([v.summary() for v in found], fmt)
        return
    a, b = diff
    if max(a, b) > len(found):
        raise click.BadParameter(
            f"article {article_id} has {len(found)} version{'s' * (len(found) != 1)}",
            param_hint="--diff",
        )
    old, new = found[a - 1], found[b - 1]
    title = word_diff(old.title or "", new.title or "")
    text = word_diff(old.text, new.text)
    if fmt:
        record = {"article_id": article_id, "from": a, "to": b, "title": title, "text": text}
        click.echo(json.dumps(record, ensure_ascii=False))
        return
    click.echo(
        f"Article {article_id}: version {a} ({old.seen_from:%Y-%m-%d %H:%M} UTC) -> ", nl=False
    )
    click.echo(f"version {b} ({new.seen_from:%Y-%m-%d %H:%M} UTC)")
    click.echo(f"Title: {title}")
    click.echo("")
    click.echo(text)
