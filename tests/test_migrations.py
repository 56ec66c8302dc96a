"""Store versions: an old store is upgraded in place with nothing lost, and an upgraded
store has exactly the schema of a fresh one (this is what catches a model change made
without a migration: add a revision under newscrawl/store/migrations/versions/).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from click.testing import CliRunner
from crawling import run_crawl
from sqlalchemy import create_engine

from newscrawl.cli import cli
from newscrawl.dedupe.index import NearDuplicateIndex
from newscrawl.store.migrations import alembic_config, head, prepare_store

if TYPE_CHECKING:
    from sites import SiteServer

V1 = Path(__file__).parent / "fixtures" / "stores" / "v1.db"
STORED_FORM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
TIMESTAMPS = {
    "articles": ("published_at", "modified_at", "first_seen_at", "last_seen_at"),
    "article_urls": ("first_seen_at",),
    "crawl_runs": ("started_at", "finished_at"),
    "duplicate_decisions": ("decided_at",),
}


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def old_store(tmp_path: Path) -> Path:
    copy = tmp_path / "old.db"
    shutil.copy(V1, copy)
    return copy


def rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def schema(path: Path) -> dict[str, Any]:
    """Tables with their columns, keys and indexes; triggers and views by their SQL."""
    conn = sqlite3.connect(path)
    try:
        found: dict[str, Any] = {}
        for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ):
            if kind == "table" and not sql.startswith("CREATE VIRTUAL"):
                found[name] = {
                    "columns": conn.execute(f"PRAGMA table_info('{name}')").fetchall(),
                    "foreign_keys": sorted(
                        r[2:] for r in conn.execute(f"PRAGMA foreign_key_list('{name}')")
                    ),
                    "without_rowid": "WITHOUT ROWID" in sql.upper(),
                }
            elif kind == "index":
                columns = [r[2] for r in conn.execute(f"PRAGMA index_info('{name}')")]
                unique = re.search(r"\bUNIQUE\b", sql or "", re.IGNORECASE) is not None
                found[f"index {name}"] = (columns, unique)
            else:
                found[f"{kind} {name}"] = " ".join((sql or "").split())
        for name in [n for n in found if not n.startswith(("index", "trigger", "view"))]:
            if isinstance(found[name], dict):
                found[name]["unique"] = sorted(
                    tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{i[1]}')"))
                    for i in conn.execute(f"PRAGMA index_list('{name}')")
                    if i[3] == "u"
                )
        return found
    finally:
        conn.close()


def sqlite_utils_detects_fts(path: Path, table: str) -> bool:
    """The test sqlite-utils' Table.detect_fts() and Datasette's detect_fts() make."""
    found = rows(
        path,
        f"""SELECT name FROM sqlite_master WHERE rootpage = 0 AND (
            sql LIKE '%VIRTUAL TABLE%USING FTS%content="{table}"%'
            OR sql LIKE '%VIRTUAL TABLE%USING FTS%content=[{table}]%'
            OR (tbl_name = '{table}' AND sql LIKE '%VIRTUAL TABLE%USING FTS%'))""",
    )
    return bool(found)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fixture_is_a_store_of_the_first_schema() -> None:
    assert rows(V1, "PRAGMA user_version") == [(1,)]
    assert "alembic_version" not in {r[0] for r in rows(V1, "SELECT name FROM sqlite_master")}
    assert not sqlite_utils_detects_fts(V1, "articles")


def test_upgrade_keeps_every_row_and_fixes_fts_and_timestamps(tmp_path: Path) -> None:
    db = old_store(tmp_path)
    # lsh_buckets is re-signed: test_upgrade_re_signs_the_near_duplicate_index
    before = {
        table: rows(db, f"SELECT * FROM {table} ORDER BY 1, 2, 3")
        for table in ("articles", "article_urls", "crawl_runs", "duplicate_decisions")
    }
    hits_before = rows(db, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'storm'")

    assert prepare_store(url(db)).revision == "0001"

    assert rows(db, "SELECT version_num FROM alembic_version") == [(head(),)]
    for table, old in before.items():
        new = rows(db, f"SELECT * FROM {table} ORDER BY 1, 2, 3")
        assert len(new) == len(old) > 0, table
        columns = [r[1] for r in rows(db, f"PRAGMA table_info('{table}')")]
        for old_row, new_row in zip(old, new, strict=True):
            # Columns later revisions added come last and start empty (NULL).
            assert all(v is None for v in new_row[len(old_row) :]), table
            for column, was, now in zip(columns, old_row, new_row[: len(old_row)], strict=False):
                if column in TIMESTAMPS.get(table, ()) and was is not None:
                    assert STORED_FORM.match(now), (table, column, now)
                    assert as_instant(now) == as_instant(was), (table, column)
                else:
                    assert now == was, (table, column)
    hits = rows(db, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'storm'")
    assert hits == hits_before
    assert len(hits) >= 2
    assert sqlite_utils_detects_fts(db, "articles")
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def as_instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def index_rows(path: Path) -> list[tuple[Any, ...]]:
    return rows(path, "SELECT band, bucket, article_id FROM lsh_buckets ORDER BY 3, 1")


def current_keys(path: Path) -> list[tuple[int, int, int]]:
    """The lsh_buckets rows this newscrawl writes for the store's originals."""
    index = NearDuplicateIndex()
    originals = rows(path, "SELECT id, text FROM articles WHERE duplicate_of IS NULL ORDER BY id")
    return [
        (band, key, article_id)
        for article_id, text in originals
        for band, key in enumerate(index.signature(text or "").band_keys)
    ]


def test_upgrade_re_signs_the_near_duplicate_index(tmp_path: Path) -> None:
    db = old_store(tmp_path)
    before = index_rows(db)
    prepare_store(url(db))
    after = index_rows(db)
    # Every original that was indexed still is, under keys the running code computes.
    assert {r[2] for r in after} == {r[2] for r in before}
    assert len(after) == len(before) > 0
    assert after == current_keys(db)
    assert set(after).isdisjoint(before)


def test_an_upgraded_store_finds_copies_of_stories_stored_before(tmp_path: Path) -> None:
    db = old_store(tmp_path)
    prepare_store(url(db))
    article_id, text = rows(
        db, "SELECT a.id, a.text FROM articles a JOIN lsh_buckets b ON b.article_id = a.id "
        "WHERE a.duplicate_of IS NULL ORDER BY a.id LIMIT 1",
    )[0]  # fmt: skip
    copy = f"Syndicated from a partner outlet.\n\n{text}\n\nCopyright the partner."
    index = NearDuplicateIndex()
    engine = create_engine(url(db))
    with engine.connect() as conn:
        found = index.find(conn, index.signature(copy))
    engine.dispose()
    assert found is not None
    assert found.original_id == article_id


def test_upgraded_store_has_the_schema_of_a_fresh_one(tmp_path: Path) -> None:
    upgraded, fresh = old_store(tmp_path), tmp_path / "fresh.db"
    prepare_store(url(upgraded))
    assert prepare_store(url(fresh)).kind == "empty"
    assert rows(fresh, "SELECT version_num FROM alembic_version") == [(head(),)]
    assert schema(upgraded) == schema(fresh)


def test_the_revisions_alone_build_the_fresh_schema(tmp_path: Path) -> None:
    """Baseline plus every revision, on an empty database, give what the models give."""
    built, fresh = tmp_path / "built.db", tmp_path / "fresh.db"
    engine = create_engine(url(built))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    engine.dispose()
    prepare_store(url(fresh))
    assert schema(built) == schema(fresh)


def test_downgrade_returns_to_the_first_schema(tmp_path: Path) -> None:
    db = old_store(tmp_path)
    prepare_store(url(db))
    engine = create_engine(url(db))
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    engine.dispose()
    expected = schema(V1)
    expected["table alembic_version"] = None
    got = schema(db)
    got["table alembic_version"] = None
    got.pop("alembic_version")
    assert got == expected
    assert rows(db, "SELECT published_at, first_seen_at FROM articles ORDER BY id") == rows(
        V1, "SELECT published_at, first_seen_at FROM articles ORDER BY id"
    )
    # The keys of the first schema's code again, as the fixture was written.
    assert index_rows(db) == index_rows(V1)


def test_a_second_upgrade_changes_nothing(tmp_path: Path) -> None:
    db = old_store(tmp_path)
    prepare_store(url(db))
    digest = sha256(db)
    assert prepare_store(url(db)).revision == head()
    assert sha256(db) == digest


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_query_commands_ask_for_an_upgrade_and_leave_the_old_store_alone(tmp_path: Path) -> None:
    db = old_store(tmp_path)
    digest = sha256(db)
    result = invoke("stats", "--db", str(db))
    assert result.exit_code == 1
    assert "older" in result.output
    assert "newscrawl db upgrade" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sha256(db) == digest

    result = invoke("db", "upgrade", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert f"upgraded from store version 0001 to {head()}" in result.output
    result = invoke("stats", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    assert invoke("db", "version", "--db", str(db)).output.startswith(f"store version {head()}")


def test_a_store_from_a_newer_newscrawl_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "newer.db"
    prepare_store(url(db))
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    digest = sha256(db)
    for args in (("stats",), ("search", "storm"), ("db", "upgrade"), ("reindex",)):
        result = invoke(*args, "--db", str(db))
        assert result.exit_code == 1, args
        assert "newer than this newscrawl" in result.output, args
    assert sha256(db) == digest


@pytest.mark.parametrize("command_args", [("db", "upgrade"), ("reindex",)])
def test_writing_commands_refuse_another_apps_database(
    tmp_path: Path, command_args: tuple[str, ...]
) -> None:
    db = tmp_path / "other-app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.commit()
    conn.close()
    digest = sha256(db)
    result = invoke(*command_args, "--db", str(db))
    assert result.exit_code == 1
    assert "is not a newscrawl store" in result.output
    assert sha256(db) == digest


def test_two_processes_upgrading_at_once_take_turns(tmp_path: Path) -> None:
    db = old_store(tmp_path)
    code = (
        f"from newscrawl.store.migrations import prepare_store as p; print(p('{url(db)}').revision)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0].strip() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    # One upgraded it; the other found it upgraded, whether it looked before or after.
    assert sorted(outputs) == ["0001", head()]
    assert rows(db, "SELECT COUNT(*) FROM articles") == rows(V1, "SELECT COUNT(*) FROM articles")
    fresh = tmp_path / "fresh.db"
    prepare_store(url(fresh))
    assert schema(db) == schema(fresh)


def test_a_crawl_upgrades_an_old_store_in_place(
    sites: dict[str, SiteServer], tmp_path: Path
) -> None:
    """The crawl's store components (scrapy crawl, no CLI) upgrade the store they open."""
    db = old_store(tmp_path)
    before = rows(db, "SELECT id, url, title, text FROM articles ORDER BY id")
    page = sites["courier"].url("/news/2024-05-13/otters-back-on-the-marren.html")
    result = run_crawl("urls", db, url=page)
    assert result.returncode == 0, result.log
    assert rows(db, "SELECT version_num FROM alembic_version") == [(head(),)]
    after = rows(db, "SELECT id, url, title, text FROM articles ORDER BY id")
    assert after[: len(before)] == before
    assert [r[1] for r in after[len(before) :]] == [page]
    # The old store's dedupe index still works: the same page text was stored at the old
    # demo port, so the new address is recorded as a copy of that story.
    ((original, kind),) = rows(
        db, "SELECT duplicate_of, duplicate_kind FROM articles WHERE url = ?", page
    )
    assert original in {r[0] for r in before}
    assert kind in {"exact", "near"}
    assert result.run["status"] == "finished"
    assert STORED_FORM.match(result.run["started_at"])
