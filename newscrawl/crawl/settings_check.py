"""Settings checked before a crawl starts, so a typo is one line, not a traceback mid-run.

Two checks: every ``NEWSCRAWL_*`` name is one newscrawl knows (else the nearest valid name is
suggested), and every value given for a numeric or boolean setting, Scrapy's or ours,
converts the way the component reading it will convert it.
"""

from __future__ import annotations

import difflib
import logging
from typing import TYPE_CHECKING, Any

from scrapy.settings import default_settings

from newscrawl import settings as project_settings
from newscrawl.extraction.workers import worker_count

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

PREFIX = "NEWSCRAWL_"
BOOLEANS = {"1", "0", "true", "false", "True", "False"}


class SettingsError(ValueError):
    """A setting is unknown or has a value of the wrong kind; the message names it."""


def known_settings() -> dict[str, Any]:
    """newscrawl's own settings with their defaults (newscrawl/settings.py)."""
    return {n: getattr(project_settings, n) for n in dir(project_settings) if n.startswith(PREFIX)}


def nearest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _defaults() -> dict[str, Any]:
    scrapy_defaults = {
        n: getattr(default_settings, n) for n in dir(default_settings) if n.isupper()
    }
    return {**scrapy_defaults, **known_settings()}


def _problem(name: str, value: str, default: Any) -> str | None:
    """Why ``value`` (given as text) does not fit a setting whose default is ``default``."""
    text = value.strip()
    if isinstance(default, bool) or name.endswith("_ENABLED"):
        return None if text in BOOLEANS else "takes true/false or 1/0"
    if isinstance(default, int) and name.startswith(PREFIX):
        try:
            int(text)
        except ValueError:
            return "takes a whole number"
        return None
    if isinstance(default, int | float):
        # Scrapy reads several int-defaulted settings as floats (DOWNLOAD_DELAY, timeouts).
        try:
            float(text)
        except ValueError:
            return "takes a number"
    return None


def check_settings(settings: BaseSettings) -> None:
    """Raise :class:`SettingsError` for the first unknown or ill-typed setting."""
    known = known_settings()
    for name in settings:
        if name.startswith(PREFIX) and name not in known:
            raise SettingsError(f"unknown setting {name}{nearest(name, sorted(known))}")
    level = settings.get("LOG_LEVEL")
    if isinstance(level, str) and not isinstance(logging.getLevelName(level.upper()), int):
        raise SettingsError(f"LOG_LEVEL={level}: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    try:
        worker_count(str(settings.get("NEWSCRAWL_EXTRACT_WORKERS", "auto")))
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    defaults = _defaults()
    for name in settings:
        value = settings[name]
        if name not in defaults or not isinstance(value, str):
            continue  # values set in code have their type already
        problem = _problem(name, value, defaults[name])
        if problem:
            raise SettingsError(f"{name}={value!r}: {name} {problem}")
