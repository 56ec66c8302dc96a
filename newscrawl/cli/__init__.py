"""The ``newscrawl`` command: crawl, try the demo, and query the store.

Each command's docstring is its --help; docs/cli.md documents them all. The commands live
in modules by what they do: ``crawling`` (crawl, demo), ``querying`` and ``exporting``
(read-only views of the store), ``maintenance`` (reindex, extract), ``database`` (db
upgrade, db version), ``browse`` (serve) and ``archive`` (reextract, history: the kept pages
and versions); ``options`` and ``output`` hold what they share.
"""

from __future__ import annotations

from newscrawl.cli import archive, browse, crawling, database, exporting, maintenance, querying
from newscrawl.cli.group import cli

__all__ = ["cli", "main"]
# The modules register their commands on the group when imported.
_COMMAND_MODULES = (crawling, querying, exporting, maintenance, database, browse, archive)


def main() -> None:
    cli()
