"""The newscrawl add-on: Scrapy settings that follow from ``NEWSCRAWL_*`` ones.

They are derived when the crawler starts, not at import, so that ``-s
NEWSCRAWL_MAX_PAGE_BYTES=...`` or ``-s NEWSCRAWL_CONTACT_URL=...`` moves them; a Scrapy
setting given explicitly (in newscrawl/settings.py, a spider or ``-s``) still wins, since
add-on values have a lower priority than all of those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl import __version__
from newscrawl.config import Config

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

PRIORITY = "addon"


def user_agent(contact_url: str) -> str:
    return f"newscrawl/{__version__} (+{contact_url})"


class NewscrawlAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        config = Config.from_settings(settings)
        derived = {
            "DOWNLOAD_MAXSIZE": config.max_page_bytes,
            "USER_AGENT": user_agent(config.contact_url),
        }
        for name, value in derived.items():
            # set() keeps a value of higher priority: project, spider and command line win.
            settings.set(name, value, priority=PRIORITY)
