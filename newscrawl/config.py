"""One object holding every ``NEWSCRAWL_*`` setting of a crawl, read once from Scrapy settings.

Components take it in ``from_crawler`` with :meth:`Config.of` (built once per crawler and
shared), so a setting is parsed in one place. Defaults are written only in
:mod:`newscrawl.settings`; a crawler built without the project settings (a unit test's
``get_crawler``) falls back to those same values. Settings that follow from others (the
download size limit, the User-Agent) are derived when the crawler starts, in
:mod:`newscrawl.crawl.addon`, not at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from newscrawl import settings as project_settings

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

FALSE_WORDS: Final = frozenset({"", "0", "false", "no", "off"})
_ATTRIBUTE: Final = "_newscrawl_config"


def is_truthy(value: object) -> bool:
    """Spider arguments and environment values arrive as strings: ``refresh=0`` means no."""
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_WORDS
    return bool(value)


def default(name: str) -> Any:
    """The project default of a ``NEWSCRAWL_*`` setting (newscrawl/settings.py)."""
    return getattr(project_settings, name)


@dataclass(frozen=True, slots=True)
class Config:
    db: str
    contact_url: str
    sources: str
    keep_pages: bool
    store_batch_size: int
    busy_timeout: float
    min_words: int
    max_page_bytes: int
    since_days: int
    max_pages: int
    max_depth: int
    schedule_ahead: int
    deltafetch_enabled: bool
    conditional_enabled: bool
    extract_workers: str
    gc_threshold: int
    runs_enabled: bool
    store_enabled: bool
    dedupe_enabled: bool
    log_dir: str
    log_keep_days: int
    log_keep_count: int
    public_addresses_only: bool
    allowed_networks: tuple[str, ...]
    near_dup_threshold: float
    near_dup_min_length_ratio: float
    near_dup_min_words: int
    near_dup_max_candidates: int
    redis_url: str
    frontier_name: str

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Config:
        def get(name: str) -> Any:
            key = f"NEWSCRAWL_{name.upper()}"
            return settings.get(key, default(key))

        def as_int(name: str) -> int:
            return int(get(name))

        def as_float(name: str) -> float:
            return float(get(name))

        def as_bool(name: str) -> bool:
            return is_truthy(get(name))

        networks = get("allowed_networks")
        if isinstance(networks, str):
            networks = [part for part in networks.replace(",", " ").split() if part]
        return cls(
            db=str(get("db") or ""),
            contact_url=str(get("contact_url")),
            sources=str(get("sources") or ""),
            keep_pages=as_bool("keep_pages"),
            store_batch_size=as_int("store_batch_size"),
            busy_timeout=as_float("busy_timeout"),
            min_words=as_int("min_words"),
            max_page_bytes=as_int("max_page_bytes"),
            since_days=as_int("since_days"),
            max_pages=as_int("max_pages"),
            max_depth=as_int("max_depth"),
            schedule_ahead=as_int("schedule_ahead"),
            deltafetch_enabled=as_bool("deltafetch_enabled"),
            conditional_enabled=as_bool("conditional_enabled"),
            extract_workers=str(get("extract_workers")),
            gc_threshold=as_int("gc_threshold"),
            runs_enabled=as_bool("runs_enabled"),
            store_enabled=as_bool("store_enabled"),
            dedupe_enabled=as_bool("dedupe_enabled"),
            log_dir=str(get("log_dir") or ""),
            log_keep_days=as_int("log_keep_days"),
            log_keep_count=as_int("log_keep_count"),
            public_addresses_only=as_bool("public_addresses_only"),
            allowed_networks=tuple(str(network) for network in networks),
            near_dup_threshold=as_float("near_dup_threshold"),
            near_dup_min_length_ratio=as_float("near_dup_min_length_ratio"),
            near_dup_min_words=as_int("near_dup_min_words"),
            near_dup_max_candidates=as_int("near_dup_max_candidates"),
            redis_url=str(get("redis_url") or ""),
            frontier_name=str(get("frontier_name") or ""),
        )

    @classmethod
    def defaults(cls) -> Config:
        """The project's defaults, for code that runs outside a crawl."""
        from scrapy.settings import Settings

        return cls.from_settings(Settings())

    @classmethod
    def of(cls, crawler: Crawler) -> Config:
        """The crawl's configuration, built on first use and shared by every component."""
        config: Config | None = getattr(crawler, _ATTRIBUTE, None)
        if config is None:
            config = cls.from_settings(crawler.settings)
            setattr(crawler, _ATTRIBUTE, config)
        return config
