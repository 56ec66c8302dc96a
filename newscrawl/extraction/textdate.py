"""A publication date written in the visible byline ("Published May 14, 2024", "3. März
2024", "publié le 01/05/2024"), for pages that declare none in their markup.

htmldate's full text search does this too, but hands free text to dateparser, which took
seconds on some pages (about 40% of all extraction time on the benchmark pages); reading
the few lines after the headline with a table of month names is enough for a byline.
"""

from __future__ import annotations

import re
from typing import Final

from lxml import html as lxml_html

from newscrawl.extraction.dates import normalize_date

_MONTH_NAMES: Final = (
    # en, de, fr, es, pt, it: one tuple of names (and abbreviations) per month
    ("january jan januar janvier enero janeiro gennaio gen jän"),
    ("february feb februar février fevrier févr febrero fevereiro febbraio fev"),
    ("march mar märz maerz mars marzo março"),
    ("april apr avril abril aprile avr"),
    ("may mai mayo maio maggio mag"),
    ("june jun juni juin junio junho giugno giu"),
    ("july jul juli juillet julio julho luglio lug juil"),
    ("august aug août aout agosto ago"),
    ("september sep sept septembre septiembre setembro settembre set"),
    ("october oct oktober octobre octubre outubro ottobre okt out ott"),
    ("november nov novembre noviembre novembro"),
    ("december dec dez dezember décembre decembre diciembre dezembro dicembre dic déc"),
)
MONTHS: Final = {
    name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names.split()
}
_MONTH: Final = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY_MONTH_YEAR: Final = re.compile(
    rf"\b(\d{{1,2}})\.?\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+)?(\d{{4}})\b", re.IGNORECASE
)
_MONTH_DAY_YEAR: Final = re.compile(
    rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE
)
_NUMERIC: Final = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_ISO: Final = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# The byline sits just under the headline; further down, dates are those of events.
_AFTER_HEADLINE: Final = "(//body//h1)[1]/following::text()[position() <= 40]"
_PAGE_START: Final = "//body//text()[position() <= 120]"


def byline_text(tree: lxml_html.HtmlElement) -> str:
    """The text just after the headline (or at the top of the page without one)."""
    parts = tree.xpath(_AFTER_HEADLINE) or tree.xpath(_PAGE_START)
    return " ".join(str(part) for part in parts)[:2000]


def visible_date(text: str, language: str | None) -> str | None:
    """The first date written in ``text``, as ISO 8601 UTC, or None."""
    found: list[tuple[int, int, int, int]] = []  # (position, year, month, day)
    for match in _DAY_MONTH_YEAR.finditer(text):
        month = MONTHS[match.group(2).lower()]
        found.append((match.start(), int(match.group(3)), month, int(match.group(1))))
    for match in _MONTH_DAY_YEAR.finditer(text):
        month = MONTHS[match.group(1).lower()]
        found.append((match.start(), int(match.group(3)), month, int(match.group(2))))
    for match in _NUMERIC.finditer(text):
        first, second = int(match.group(1)), int(match.group(2))
        # 05/01/2024 is May 1st in the United States and January 5th nearly everywhere else.
        month, day = (first, second) if language == "en" and first <= 12 else (second, first)
        found.append((match.start(), int(match.group(3)), month, day))
    for match in _ISO.finditer(text):
        found.append((match.start(), *(int(g) for g in match.groups())))  # type: ignore[arg-type]
    for _, year, month, day in sorted(found):
        if 1 <= month <= 12 and 1 <= day <= 31:
            normalized = normalize_date(f"{year:04d}-{month:02d}-{day:02d}")
            if normalized:
                return normalized
    return None
