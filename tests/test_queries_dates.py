"""--since and --until mean instants: ISO dates and datetimes (naive = UTC) or ages back
from now, compared as instants whatever the zone they were written in; anything else is
exit 2 with an example.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from stores import build_store

from newscrawl.cli import cli
from newscrawl.query.instants import InstantError, parse_instant

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T09:30", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01 09:30:15", datetime(2024, 5, 1, 9, 30, 15, tzinfo=UTC)),
        ("2024-05-01T09:30:00Z", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00+02:00", datetime(2024, 5, 1, 7, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00.250-0500", datetime(2024, 5, 1, 14, 30, 0, 250000, tzinfo=UTC)),
        ("30m", NOW - timedelta(minutes=30)),
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        (" 2w ", NOW - timedelta(weeks=2)),
        ("7D", NOW - timedelta(days=7)),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    assert parse_instant(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    ["2024/05/08", "08-05-2024", "yesterday", "", "7", "7y", "-7d", "2024-02-30",
     "2024-05-01T25:00", "2024-5-1", "20240501", "May 1, 2024", "1714550400"],
)  # fmt: skip
def test_rejected_forms(text: str) -> None:
    with pytest.raises(InstantError):
        parse_instant(text, now=NOW)


@pytest.fixture(scope="module")
def store(module_store_url: str) -> str:
    """The small store of tests/stores.py, on each backend."""
    return build_store(module_store_url)


def exported_ids(store: str, *options: str) -> list[int]:
    result = CliRunner().invoke(
        cli, ["export", "--all", "--db", str(store), *options], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line)["id"] for line in result.output.splitlines()]


def test_filters_compare_instants_not_text(store: str) -> None:
    # Article 2 is 2024-05-09T16:05Z; article 3 was 2024-05-09T18:30+02:00, i.e. 16:30Z.
    assert exported_ids(store, "--since", "2024-05-09T16:05Z") == [2, 3, 4]
    assert exported_ids(store, "--since", "2024-05-09T18:06+02:00") == [3, 4]
    assert exported_ids(store, "--since", "2024-05-09T16:31") == [4]
    assert exported_ids(store, "--until", "2024-05-09T18:30+02:00") == [1, 2, 3]
    assert exported_ids(store, "--since", "2024-05-02", "--until", "2024-05-10") == [2, 3]
    assert exported_ids(store, "--until", "2024-05-01") == [1]  # a date is midnight UTC


def test_relative_forms_count_back_from_now(store: str) -> None:
    # The dated articles are from May 2024: none is within a week of today; counting back
    # to the day before the latest (2024-05-20) finds that one alone.
    assert exported_ids(store, "--since", "7d") == []
    days_back = (datetime.now(UTC) - datetime(2024, 5, 20, tzinfo=UTC)).days + 1
    assert exported_ids(store, "--since", f"{days_back}d") == [4]


def test_undated_articles_are_outside_any_date_filter(store: str) -> None:
    assert 5 in exported_ids(store)
    assert 5 not in exported_ids(store, "--since", "1995-01-01")


@pytest.mark.parametrize("command", [["search", "storm"], ["export"]])
@pytest.mark.parametrize("option", ["--since", "--until"])
@pytest.mark.parametrize("value", ["2024/05/08", "08-05-2024", "yesterday"])
def test_bad_dates_exit_2_with_an_example(
    store: str, command: list[str], option: str, value: str
) -> None:
    result: Any = CliRunner().invoke(cli, [*command, "--db", str(store), option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert "examples: 2024-05-01" in result.output
