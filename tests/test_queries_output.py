"""One output convention: every listing takes --json, --jsonl, --csv (a table by default),
streams its rows, and prints a CSV header even with no rows; show and copies find an
article by any of its addresses; export also writes Parquet with real types.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from stores import BASE, build_store, url_of

from newscrawl.cli import cli
from newscrawl.cli.output import around_highlight, emit
from newscrawl.store.migrations import prepare_store

if TYPE_CHECKING:
    from collections.abc import Iterator

LISTINGS = (
    ("stats",),
    ("search", "storm", "--all"),
    ("runs",),
    ("copies", "3"),
    ("export", "--all"),
)


@pytest.fixture(scope="module")
def store(module_store_url: str) -> str:
    """The small store of tests/stores.py, on each backend."""
    return build_store(module_store_url)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return str(result.stdout)  # what a pipe gets: notes such as stats' kept pages go to stderr


@pytest.mark.parametrize("args", LISTINGS, ids=lambda a: a[0])
def test_json_jsonl_and_csv_carry_the_same_rows(store: str, args: tuple[str, ...]) -> None:
    as_json = json.loads(run(*args, "--db", str(store), "--json"))
    as_jsonl = [json.loads(line) for line in run(*args, "--db", str(store), "--jsonl").splitlines()]
    as_csv = list(csv.DictReader(io.StringIO(run(*args, "--db", str(store), "--csv"))))
    assert as_json
    assert as_json == as_jsonl
    assert [list(r) for r in as_csv] == [list(r) for r in as_json]
    for from_csv, from_json in zip(as_csv, as_json, strict=True):
        for key, value in from_json.items():
            expected = json.dumps(value) if isinstance(value, list) else value
            assert from_csv[key] == ("" if expected is None else str(expected)), key
    default = run(*args, "--db", str(store)).splitlines()
    if args[0] == "export":  # a file format by default, JSON lines
        assert [json.loads(line) for line in default] == as_json
    else:
        assert default[0].split()[:2] == list(as_json[0])[:2]
        assert len(default) == len(as_json) + 2


@pytest.mark.parametrize(
    "args",
    [
        ("search", "nosuchword"),
        ("export", "--source", "nosuch"),
        ("export", "--since", "2099-01-01"),
    ],
)
def test_csv_has_its_header_without_rows(store: str, args: tuple[str, ...]) -> None:
    lines = run(*args, "--db", str(store), "--csv").splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("id,")
    assert json.loads(run(*args, "--db", str(store), "--json")) == []
    assert run(*args, "--db", str(store)).strip() == ("" if args[0] == "export" else "(no rows)")


def test_an_empty_store_lists_its_stats_header(store_url: str) -> None:
    prepare_store(store_url)
    assert run("stats", "--db", store_url, "--csv").splitlines() == [
        "source,articles,stories,duplicates,first_published,last_published,last_seen"
    ]


def test_search_shows_the_url_and_a_snippet_around_the_hit(store: str) -> None:
    table = run("search", "otters", "--db", str(store)).splitlines()
    assert "url" in table[0].split()
    assert url_of(4) in table[2]
    assert "[Otters]" in table[2]
    hit = json.loads(run("search", "volunteers", "--db", str(store), "--json"))[0]
    assert hit["url"] == url_of(4)
    assert "[volunteers]" in hit["snippet"]


def test_a_long_snippet_is_cut_around_its_highlight_not_before_it() -> None:
    snippet = "word " * 60 + "[storm]" + " word" * 60
    shown = around_highlight(snippet, 60)
    assert "[storm]" in shown
    assert len(shown) == 60
    assert shown.startswith("…")
    assert shown.endswith("…")
    assert around_highlight("short [hit] text", 60) == "short [hit] text"


@pytest.mark.parametrize(
    "address",
    [
        url_of(4),
        url_of(4) + "?utm_source=rss&utm_medium=feed",
        url_of(4) + "?amp=1",
        f"{BASE}/amp/news/4/story.html",
        "HTTPS://WWW.EXAMPLE-NEWS.COM/news/4/story.html#comments",
        "4",
    ],
)
def test_show_and_copies_accept_any_address_of_an_article(store: str, address: str) -> None:
    shown = json.loads(run("show", address, "--db", str(store), "--json"))
    assert shown["id"] == 4
    copies = json.loads(run("copies", address, "--db", str(store), "--json"))
    assert [c["article_id"] for c in copies] == [4]


def test_copies_of_a_copy_list_the_whole_story(store: str) -> None:
    copies = json.loads(run("copies", url_of(3), "--db", str(store), "--json"))
    assert [(c["article_id"], c["kind"]) for c in copies] == [(2, "original"), (3, "near")]


def test_show_prints_every_column_addresses_text_and_copies(store: str) -> None:
    shown = json.loads(run("show", "3", "--db", str(store), "--json"))
    assert shown["published_at"] == "2024-05-09T16:30:00.000000Z"
    assert shown["first_seen_at"] == "2024-06-01T12:03:00.123456Z"
    assert shown["tags"] == ["local", "courier"]
    assert shown["addresses"] == [url_of(3)]
    assert [c["article_id"] for c in shown["copies"]] == [2, 3]
    text = run("show", "3", "--db", str(store))
    assert "duplicate_kind" in text
    assert "Two days after the storm" in text
    assert "Copies of this story:" in text


def test_unknown_article_is_one_line(store: str) -> None:
    for command in ("show", "copies"):
        result = CliRunner().invoke(
            cli, [command, "https://elsewhere.example/x", "--db", str(store)]
        )
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            "Error: no article with id or address 'https://elsewhere.example/x'"
        ]


def test_rows_are_written_as_they_are_read() -> None:
    """No format gathers the rows first: what was read is out before a later row fails."""

    def rows() -> Iterator[dict[str, Any]]:
        for n in range(3):
            yield {"n": n}
        raise RuntimeError("the fourth row")

    for fmt, expected in (("jsonl", '{"n": 2}'), ("csv", "2"), ("json", '"n": 2')):
        out = io.StringIO()
        with pytest.raises(RuntimeError):
            emit(rows(), fmt, ["n"], out=out)
        assert expected in out.getvalue(), fmt


def test_export_format_flags_and_alias(store: str, tmp_path: Path) -> None:
    assert run("export", "--db", str(store), "--format", "csv") == run(
        "export", "--db", str(store), "--csv"
    )
    out = tmp_path / "stories.json"
    run("export", "--db", str(store), "--json", "-o", str(out))
    assert [r["id"] for r in json.loads(out.read_text())] == [1, 2, 4, 5]
    clash = CliRunner().invoke(cli, ["export", "--db", str(store), "--csv", "--format", "json"])
    assert clash.exit_code == 2
    no_file = CliRunner().invoke(cli, ["export", "--db", str(store), "--parquet"])
    assert no_file.exit_code == 2
    assert "give -o FILE" in no_file.output


def test_parquet_export_keeps_real_types(store: str, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "all.parquet"
    run("export", "--db", str(store), "--all", "--parquet", "-o", str(out))
    table = pq.read_table(out)
    utc = pa.timestamp("us", tz="UTC")
    for name in ("published_at", "modified_at", "first_seen_at", "last_seen_at"):
        assert table.schema.field(name).type == utc, name
    assert table.schema.field("tags").type == pa.list_(pa.string())
    assert table.schema.field("categories").type == pa.list_(pa.string())
    assert table.schema.field("word_count").type == pa.int64()
    assert table.schema.field("duplicate_similarity").type == pa.float64()
    rows = table.to_pylist()
    jsonl = [json.loads(line) for line in run("export", "--db", str(store), "--all").splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in jsonl] == [1, 2, 3, 4, 5]
    third = rows[2]
    assert third["published_at"].isoformat() == "2024-05-09T16:30:00+00:00"
    assert third["tags"] == ["local", "courier"]
    assert third["duplicate_of"] == 2
    assert rows[4]["published_at"] is None


def test_parquet_without_pyarrow_names_the_extra(store: str, tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pyarrow'] = None; "
        "from newscrawl.cli import main; main()"
    )  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", code, "export", "--db", str(store), "--parquet", "-o",
         str(tmp_path / "x.parquet")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "pip install 'newscrawl[parquet]'" in proc.stderr
    assert "Traceback" not in proc.stderr
