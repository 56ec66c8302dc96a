"""newscrawl: crawl news sites, extract clean articles, store them deduplicated in SQLite.

See README.md and docs/ for usage.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
