"""What is PostgreSQL's own: its search column and index, web-search syntax, read-only
sessions, and one-line errors for a server that cannot be reached. The rest of the store's
behaviour is tested on both backends by the suites that take ``store_url``.
"""

from __future__ import annotations

import json

import pytest
from alembic import command
from click.testing import CliRunner
from pg_server import free_port
from sqlalchemy import insert, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from stores import build_store, url_of

from newscrawl.cli import cli
from newscrawl.dedupe.index import NearDuplicateIndex
from newscrawl.store.backends import SEARCH_COLUMN, SEARCH_INDEX
from newscrawl.store.engine import make_engine
from newscrawl.store.migrations import alembic_config, head, prepare_store
from newscrawl.store.schema import CrawlRunRow, LshBucketRow, utcnow


@pytest.fixture
def store(postgres_url: str) -> str:
    return build_store(postgres_url)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_fresh_store_has_the_search_column_index_views_and_version(store: str) -> None:
    engine = make_engine(store, create=False)
    try:
        catalogue = inspect(engine)
        assert SEARCH_COLUMN in {c["name"] for c in catalogue.get_columns("articles")}
        assert SEARCH_INDEX in {i["name"] for i in catalogue.get_indexes("articles")}
        assert {"stories", "story_copies"} <= set(catalogue.get_view_names())
        assert SEARCH_COLUMN not in {c["name"] for c in catalogue.get_columns("stories")}
    finally:
        engine.dispose()
    assert invoke("db", "version", "--db", store) == (
        0,
        f"store version {head()} (this newscrawl: {head()})\n",
    )
    code, output = invoke("reindex", "--db", store)
    assert code == 0
    assert f"REINDEX of {SEARCH_INDEX}" in output


def test_search_takes_web_search_syntax(store: str) -> None:
    def ids(query: str) -> list[int]:
        code, output = invoke("search", query, "--db", store, "--all", "--jsonl")
        assert code == 0, output
        return sorted(json.loads(line)["id"] for line in output.splitlines())

    assert ids("storm") == [2, 3]
    assert ids('"repair bill climbs"') == [2, 3]
    assert ids("otters or harbour") == [1, 4]
    assert ids("storm -higher") == [2]
    assert ids('bridge ) "') == [1]  # not syntax: the words that are left are searched
    _, output = invoke("search", "volunteers", "--db", store, "--json")
    hit = json.loads(output)[0]
    assert hit["url"] == url_of(4)
    assert "[volunteers]" in hit["snippet"]


def test_readers_cannot_write(store: str) -> None:
    engine = make_engine(store, create=False, readonly=True)
    try:
        with pytest.raises(DBAPIError, match="read-only transaction"), engine.begin() as conn:
            conn.execute(insert(CrawlRunRow).values(spider="x", started_at=utcnow()))
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["stats"], ["search", "storm"], ["db", "version"],
                                     ["db", "upgrade"], ["reindex"], ["export"]])  # fmt: skip
def test_unreachable_stores_are_one_line(postgres_url: str, command: list[str]) -> None:
    url = make_url(postgres_url)
    wrong = {
        "server down": url.set(port=free_port()),
        "no such database": url.set(database="newscrawl_nowhere"),
        "no such user": url.set(username="nobody", password="secret"),
    }
    for problem, where in wrong.items():
        code, output = invoke(*command, "--db", where.render_as_string(hide_password=False))
        assert code == 1, (problem, output)
        assert output.startswith("Error: cannot connect to postgresql+psycopg://"), output
        assert output.count("\n") == 1, output
        assert "secret" not in output


def test_serve_says_it_reads_sqlite_only(store: str) -> None:
    code, output = invoke("serve", "--db", store)
    assert code == 1
    assert output.startswith("Error: serve works on SQLite store files only")
    assert output.count("\n") == 1


def test_store_version_0005_re_signs_the_near_duplicate_index_both_ways(store: str) -> None:
    def index_rows() -> list[tuple[int, int, int]]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(LshBucketRow.band, LshBucketRow.bucket, LshBucketRow.article_id)
                .order_by(LshBucketRow.article_id, LshBucketRow.band)
            )  # fmt: skip
            return [tuple(row) for row in rows]

    engine = make_engine(store, create=False)
    try:
        with engine.begin() as conn:
            NearDuplicateIndex().rebuild(conn)
        current = index_rows()
        assert {r[2] for r in current} == {1, 2, 4, 5}  # the originals
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0004")
        older = index_rows()
        assert [r[2] for r in older] == [r[2] for r in current]
        assert set(older).isdisjoint(current)  # the BLAKE2b keys of store version 0004

        assert prepare_store(store).revision == "0004"
        assert index_rows() == current
        assert invoke("db", "version", "--db", store)[1].startswith(f"store version {head()} ")
    finally:
        engine.dispose()
