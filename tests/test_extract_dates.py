"""Dates: ISO 8601 in UTC from JSON-LD, Open Graph, meta, microdata, <time>, text and URL.

The labelled pages in fixtures/pages/dates/ each use one kind of markup; expected.json
gives the true value (dates without a time are midnight UTC of that date).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl.extraction.article import Article
from newscrawl.extraction.dates import normalize_date
from newscrawl.extraction.extract import extract_article

PAGES = Path(__file__).parent / "fixtures" / "pages" / "dates"
EXPECTED: dict[str, dict[str, str | None]] = json.loads(
    (PAGES / "expected.json").read_text(encoding="utf-8")
)


def extract(name: str) -> Article:
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    result = extract_article(html, str(EXPECTED[name]["url"]))
    assert isinstance(result, Article), result
    return result


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_labelled_dates(name: str) -> None:
    article = extract(name)
    assert article.published_at == EXPECTED[name]["published_at"]
    if EXPECTED[name]["modified_at"] is not None:
        assert article.modified_at == EXPECTED[name]["modified_at"]


def test_labelled_set_is_varied() -> None:
    assert len(EXPECTED) >= 15
    assert any(e["published_at"] is None for e in EXPECTED.values())


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2024-05-01", "2024-05-01T00:00:00+00:00"),
        ("2024-05-01T09:30:00Z", "2024-05-01T09:30:00+00:00"),
        ("2024-05-01T11:30:00+02:00", "2024-05-01T09:30:00+00:00"),
        ("2024-05-01T09:30:00.250-04:00", "2024-05-01T13:30:00+00:00"),
        ("2024-05-01 09:30", "2024-05-01T09:30:00+00:00"),
        ("20240501", "2024-05-01T00:00:00+00:00"),
        ("1714555800", "2024-05-01T09:30:00+00:00"),
        ("May 1, 2024 9:30 AM EDT", "2024-05-01T13:30:00+00:00"),
        ("Thu, 02 May 2024 10:00:00 GMT", "2024-05-02T10:00:00+00:00"),
        ("not a date", None),
        ("0001-01-01T00:00:00Z", None),
        ("", None),
    ],
)
def test_normalize_date(raw: str, iso: str | None) -> None:
    assert normalize_date(raw) == iso


def test_future_dates_are_refused() -> None:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    assert normalize_date("2024-05-10T00:00:00Z", now=now) is None
    assert normalize_date("2024-05-02T00:00:00Z", now=now) == "2024-05-02T00:00:00+00:00"
