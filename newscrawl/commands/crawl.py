"""``scrapy crawl`` for newscrawl: the same checks, quiet output and exit status as
``newscrawl crawl`` (docs/operations.md), instead of Scrapy's exit 0 whatever happened.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError

from newscrawl.crawl.run import RunError, run

if TYPE_CHECKING:
    import argparse


class Command(BaseRunSpiderCommand):
    requires_project = True
    # The run creates its own process once the store, lock and log folder are checked.
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] <spider>"

    def short_desc(self) -> str:
        return "Run a spider of the current project, by name"

    def long_desc(self) -> str:
        return (
            "Run a spider into the store. Quiet unless -v or -L: stderr gets warnings and a "
            "one-line summary, the full log goes to data/logs/<run id>.log. Exit status: 0 "
            "every source worked, 3 the run finished but some sources failed (listed), 1 "
            "nothing could be fetched or bad arguments, 75 another crawl holds the store, "
            "130 interrupted."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-v", "--verbose", action="store_true", help="the full log on stderr too"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.settings is not None
        verbose = bool(opts.verbose or opts.loglevel)
        try:
            outcome = run(args[0], opts.spargs, self.settings, verbose=verbose)
        except RunError as exc:
            sys.stderr.write(f"Error: {exc}\n")
            self.exitcode = exc.exit_code
            return
        sys.stderr.write(outcome.summary + "\n")
        self.exitcode = outcome.exit_code
