"""Instants from what people type after ``--since`` and ``--until``.

Accepted (docs/cli.md, "Dates"): an ISO 8601 date (``2024-05-01``, midnight UTC) or
datetime (``2024-05-01T09:30``, ``2024-05-01 09:30:00+02:00``, ``...Z``; without a zone it
is UTC), or an age back from now (``30m``, ``24h``, ``7d``, ``2w``). Anything else is an
error that shows an example, never a filter that silently matches nothing or everything.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

UNITS: Final = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_AGE: Final = re.compile(r"^(\d{1,6})\s*([mhdw])$")
# What fromisoformat takes beyond ISO 8601's usual forms is not accepted: the shape is
# checked first (a date, then optionally a time and a zone).
_ISO: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
EXAMPLES: Final = "2024-05-01, 2024-05-01T09:30, 2024-05-01T09:30:00+02:00, 24h, 7d"


class InstantError(ValueError):
    """Text that is not a date, a datetime or an age; the message shows what is."""


def parse_instant(value: str, now: datetime | None = None) -> datetime:
    """The aware UTC datetime ``value`` means, relative ages counted back from ``now``."""
    text = value.strip()
    age = _AGE.match(text.lower())
    if age:
        amount, unit = int(age.group(1)), UNITS[age.group(2)]
        return (now or datetime.now(UTC)).astimezone(UTC) - timedelta(**{unit: amount})
    if _ISO.match(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:  # 2024-02-30, 25:00 ...
            raise InstantError(f"{value!r} is not a real date or time ({exc})") from None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    raise InstantError(
        f"{value!r} is not an ISO 8601 date or datetime, nor an age like 24h or 7d "
        f"(examples: {EXAMPLES})"
    )
