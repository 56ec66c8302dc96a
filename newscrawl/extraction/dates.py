"""Publication and modification dates, normalised to ISO 8601 in UTC.

Rules (docs/extraction.md, "Dates"):

* a value with a UTC offset is converted to UTC;
* a value with a time but no offset is taken as UTC: the page gives us nothing better, and
  guessing the site's zone from its domain would be wrong for every international outlet;
* a date without a time becomes midnight UTC of that date (``2024-05-01T00:00:00+00:00``),
  so that the column sorts and compares as one type; the date itself is never shifted.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import UTC, date, datetime, timedelta
from typing import Final

from dateutil import parser as dateutil_parser

logger = logging.getLogger(__name__)

# Years outside this window are parse accidents (0001-01-01, 2099 placeholders, epoch 0).
_MIN_YEAR: Final = 1995
_MAX_FUTURE: Final = timedelta(days=2)
_DATE_ONLY: Final = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_COMPACT: Final = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(Z|[+-]\d{4})?$")
_EPOCH: Final = re.compile(r"^\d{10}(\d{3})?$")
_HAS_TIME: Final = re.compile(r"\d{1,2}:\d{2}")


def _finish(moment: datetime, now: datetime | None) -> str | None:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    limit = (now or datetime.now(UTC)) + _MAX_FUTURE
    if moment.year < _MIN_YEAR or moment > limit:
        return None
    return moment.isoformat()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def normalize_date(value: str | None, *, now: datetime | None = None) -> str | None:
    """ISO 8601 UTC string for a date as found in markup, or None when it is not a date."""
    if not value:
        return None
    text = value.strip()
    if not text or len(text) > 80:
        return None
    match = _DATE_ONLY.match(text)
    if match:
        try:
            return _finish(_midnight(date(*map(int, match.groups()))), now)
        except ValueError:
            return None
    if _EPOCH.match(text):
        seconds = int(text[:10])
        return _finish(datetime.fromtimestamp(seconds, UTC), now)
    compact = _COMPACT.match(text)
    if compact:
        year, month, day, hour, minute, second, zone = compact.groups()
        iso = f"{year}-{month}-{day}"
        if hour:
            iso += f"T{hour}:{minute}:{second or '00'}"
            if zone:
                iso += "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[3:]}"
        text = iso
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        loose = _parse_loose(text)
        if loose is None:
            return None
        moment = loose
    if not _HAS_TIME.search(text) and "T" not in text:
        return _finish(_midnight(moment.date()), now)
    return _finish(moment, now)


def _parse_loose(text: str) -> datetime | None:
    # Free-form dates ("May 1, 2024 9:30 AM EDT") from meta tags and <time> elements.
    with warnings.catch_warnings():
        # An unknown zone name makes dateutil warn and return a naive value; we take it as UTC.
        warnings.simplefilter("ignore")
        try:
            parsed: datetime = dateutil_parser.parse(text, fuzzy=False, tzinfos=_TZINFOS)
        except (ValueError, OverflowError, TypeError):
            return None
    return parsed


def _zone(hours: float) -> int:
    return int(hours * 3600)


# Abbreviations that dateutil does not know but news pages print.
_TZINFOS: Final = {
    "UTC": 0, "GMT": 0, "Z": 0, "BST": _zone(1), "CET": _zone(1), "CEST": _zone(2),
    "EET": _zone(2), "EEST": _zone(3), "EST": _zone(-5), "EDT": _zone(-4), "CST": _zone(-6),
    "CDT": _zone(-5), "MST": _zone(-7), "MDT": _zone(-6), "PST": _zone(-8), "PDT": _zone(-7),
    "IST": _zone(5.5), "JST": _zone(9), "KST": _zone(9), "AEST": _zone(10), "AEDT": _zone(11),
}  # fmt: skip
