"""The near-duplicate index against real stores (SQLite and PostgreSQL): decisions,
persistence, lookup cost."""

from __future__ import annotations

import subprocess
import sys

import pytest
import xxhash
from sqlalchemy import func, insert, select

from newscrawl.dedupe import minhash
from newscrawl.dedupe.decide import Decision, find_original
from newscrawl.dedupe.fingerprint import (
    Fingerprint,
    TextSignature,
    content_hash,
    normalize_text,
)
from newscrawl.dedupe.index import NearDuplicateIndex, compare
from newscrawl.dedupe.write import ArticleWriter
from newscrawl.extraction.article import Article
from newscrawl.items import ArticleItem
from newscrawl.store.engine import make_engine
from newscrawl.store.schema import ArticleRow, LshBucketRow, utcnow

STORY = [
    "The city council voted on Tuesday to close the Harbour Street bridge for eighteen months "
    "while engineers replace the corroded steel beams that inspectors flagged last spring.",
    "Mayor Linda Okafor said the closure would add about ten minutes to the morning commute "
    "for drivers coming from the eastern suburbs, and asked residents to use the ferry.",
    "The repair will cost 42 million dollars, two thirds of it paid by the regional transport "
    "fund, according to documents released by the council's finance committee on Monday.",
    "Shop owners on the waterfront warned that fewer visitors would cross from the old town. "
    "A spokesman for the traders' association called the timetable unrealistic and expensive.",
    "Engineers expect the first lane to reopen to cyclists and pedestrians next autumn, with "
    "full traffic returning once the new deck has been load tested by an independent firm.",
]
# A different story about the same event, from another outlet: same names, same facts.
SAME_EVENT = [
    "Traders on the waterfront are bracing for a hard winter after the council's decision to "
    "shut the Harbour Street bridge, which carries most visitors from the old town.",
    "At the Blue Anchor cafe, owner Samir Haddad counted the tables he expects to leave empty. "
    "He said takings fell by a third the last time the bridge closed for a week in 2019.",
    "Mayor Linda Okafor has promised a support scheme, but the council has not said how much "
    "money it will set aside or when shops can apply for it, and the association is sceptical.",
    "The ferry operator said it would add two morning crossings, though its boats carry only "
    "sixty passengers each and do not take bicycles during the rush hour on weekdays.",
]
OTHER_STORY = [
    "The national weather service issued a storm warning for the northern coast on Friday, "
    "predicting gusts of up to 110 kilometres an hour and waves higher than six metres.",
    "Schools in three districts will stay closed on Saturday morning, and the ferry company "
    "cancelled all crossings until the wind drops below gale force late on Sunday evening.",
    "Forecasters said the storm was the fourth this season and urged residents to tie down "
    "garden furniture, avoid the seafront and keep their phones charged in case of outages.",
]
TEMPLATE_TOP = "Daily Courier | Home | World | Business | Sport | Opinion | Weather"
TEMPLATE_BOTTOM = (
    "Sign up for the Courier Morning Briefing, delivered to your inbox every day. "
    "© 2024 Daily Courier Media Group. All rights reserved. Privacy policy."
)


def page(*paragraphs: str) -> str:
    return "\n".join(paragraphs)


def syndicated_copy() -> str:
    # Another outlet's template, its own byline, an "updated" line, a correction, last
    # paragraph cut: the edits wire copies go through.
    return page(
        TEMPLATE_TOP,
        "Updated 3:45 p.m. ET",
        "By Maria Lopez, Associated Press",
        *STORY[:-1],
        "Correction: an earlier version of this story gave the wrong day for the vote.",
        TEMPLATE_BOTTOM,
    )


@pytest.fixture
def engine(store_url):
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'news.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def index():
    return NearDuplicateIndex()


def store(conn, index: NearDuplicateIndex, url: str, body: str) -> tuple[int, Decision | None]:
    """Write one article through the store's write path: its row, and why it is a copy."""
    article = Article(url=url, canonical_url=url, domain="example.com", text=body)
    item = ArticleItem(article, utcnow(), [url], fingerprint=index.fingerprint(body))
    outcome = ArticleWriter(index).write(conn, item)
    return outcome.article_id, outcome.decision


def test_normalize_text_ignores_case_punctuation_and_spacing():
    assert (
        normalize_text("The  Bridge, closed!\nFor 18 months.") == "the bridge closed for 18 months"
    )
    assert content_hash("The bridge -- closed.") == content_hash("the BRIDGE closed")
    assert content_hash("The bridge closed.") != content_hash("The bridge reopened.")


def test_an_articles_fingerprint_hashes_the_text_as_content_hash_does(index):
    body = page(*STORY)
    assert index.fingerprint(body) == Fingerprint(content_hash(body), index.signature(body))


def test_cjk_text_is_tokenised_by_character():
    assert minhash.tokens("東京都は本日") == ["東", "京", "都", "は", "本", "日"]
    assert minhash.tokens("Tokyo 東京 ok") == ["tokyo", "東", "京", "ok"]


def test_a_shingle_is_the_hash_of_its_words_joined_by_spaces():
    # Stored band keys derive from these values: another way of computing them must give the
    # same numbers, or every store would need its index re-signed (a migration).
    words = minhash.tokens("Zürich: l'été à 東京, the bridge closed again today")

    def xxh3(text: str) -> int:  # XXH3-64, seed 0, of the UTF-8 bytes
        return xxhash.xxh3_64_intdigest(text.encode())

    # XXH3-64 itself, not XXH64 or XXH3 with a seed: its published value for no input.
    assert xxhash.xxh3_64_intdigest(b"") == 0x2D06800538D394C2

    for size in (1, 3, 5):
        expected = {xxh3(" ".join(words[i : i + size])) for i in range(len(words) - size + 1)}
        assert minhash.shingles(words, size) == expected
    assert minhash.shingles(words[:2], 5) == {xxh3(" ".join(words[:2]))}
    assert minhash.shingles([], 5) == frozenset()


def test_signature_is_stable_across_processes(index):
    # Keys are stored and compared by other processes: they must not depend on hash salting.
    body = page(*STORY)
    code = (
        "from newscrawl.dedupe.index import NearDuplicateIndex as I; import sys; "
        "sys.stdout.write(repr(I().signature(sys.stdin.read()).band_keys))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code], input=body, capture_output=True, text=True, check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }  # fmt: skip
    assert keys == {repr(index.signature(body).band_keys)}


def test_minhash_agreement_tracks_jaccard():
    words = [f"w{i}" for i in range(600)]
    a = minhash.shingles(words, 5)
    b = minhash.shingles(words[150:], 5)  # shares three quarters of a
    true_jaccard = len(a & b) / len(a | b)
    estimate = minhash.estimated_jaccard(minhash.signature(a, 128), minhash.signature(b, 128))
    assert abs(estimate - true_jaccard) < 0.15
    unrelated = minhash.shingles([f"x{i}" for i in range(600)], 5)
    assert (
        minhash.estimated_jaccard(minhash.signature(a, 128), minhash.signature(unrelated, 128))
        < 0.05
    )


def test_signature_rejects_bin_counts_that_are_not_powers_of_two():
    with pytest.raises(ValueError, match="power of two"):
        minhash.signature(frozenset({1, 2, 3}), 100)


def test_exact_duplicate_found_first(engine, index):
    with engine.begin() as conn:
        original, _ = store(conn, index, "https://a.example/1", page(*STORY))
        _, found = store(conn, index, "https://b.example/1", page(*STORY).upper().replace(".", "!"))
    assert found is not None
    assert (found.kind, found.original_id, found.similarity) == ("exact", original, None)


def test_syndicated_copy_is_near_duplicate_of_first_seen(engine, index):
    with engine.begin() as conn:
        original, _ = store(conn, index, "https://gazette.example/bridge", page(*STORY))
        _, found = store(conn, index, "https://courier.example/wire/bridge", syndicated_copy())
    assert found is not None
    assert found.kind == "near"
    assert found.original_id == original
    assert index.threshold <= found.similarity <= 1.0


def test_same_event_different_story_is_kept(engine, index):
    with engine.begin() as conn:
        store(conn, index, "https://gazette.example/bridge", page(*STORY))
        _, found = store(conn, index, "https://courier.example/traders", page(*SAME_EVENT))
    assert found is None


def test_different_stories_in_one_template_are_kept(engine, index):
    with engine.begin() as conn:
        store(conn, index, "https://courier.example/a", page(TEMPLATE_TOP, *STORY, TEMPLATE_BOTTOM))
        _, found = store(
            conn,
            index,
            "https://courier.example/b",
            page(TEMPLATE_TOP, *OTHER_STORY, TEMPLATE_BOTTOM),
        )
    assert found is None


def test_brief_quoted_inside_a_long_feature_is_not_merged(engine, index):
    feature = page(*OTHER_STORY, *SAME_EVENT, *STORY[1:], *SAME_EVENT[::-1])
    with engine.begin() as conn:
        store(conn, index, "https://a.example/feature", feature)
        _, found = store(conn, index, "https://b.example/brief", page(*STORY[1:3]))
    similarity = compare(
        index.signature(feature).shingles, index.signature(page(*STORY[1:3])).shingles
    )
    assert similarity.containment == 1.0  # wholly quoted, yet a much shorter, different piece
    assert similarity.length_ratio < index.min_length_ratio
    assert found is None


def test_copies_point_at_the_original_never_along_a_chain(engine, index):
    with engine.begin() as conn:
        original, _ = store(conn, index, "https://a.example/1", page(*STORY))
        copy_id, first = store(conn, index, "https://b.example/1", syndicated_copy())
        _, second = store(conn, index, "https://c.example/1", syndicated_copy() + "\nShare this")
    assert first is not None
    assert second is not None
    assert first.original_id == second.original_id == original
    assert copy_id != original


def test_short_texts_are_judged_by_exact_match_only(engine, index):
    short = "Storm warning issued for the northern coast on Friday night."
    with engine.begin() as conn:
        original, _ = store(conn, index, "https://a.example/1", short)
        _, near = store(conn, index, "https://b.example/1", short + " More soon.")
        _, exact = store(conn, index, "https://c.example/1", short.lower())
        indexed = conn.execute(select(func.count()).select_from(LshBucketRow)).scalar()
    assert index.signature(short).band_keys == ()
    assert near is None
    assert exact is not None
    assert (exact.kind, exact.original_id) == ("exact", original)
    assert indexed == 0


def test_copies_within_one_transaction_are_seen(engine, index):
    # The store writes a batch in one transaction: later items see earlier rows.
    with engine.connect() as conn, conn.begin():
        original, _ = store(conn, index, "https://a.example/1", page(*STORY))
        _, found = store(conn, index, "https://b.example/1", syndicated_copy())
        assert found is not None
        assert found.original_id == original


def test_index_survives_a_restart(store_url):
    url = store_url
    first = make_engine(url)
    with first.begin() as conn:
        original, _ = store(conn, NearDuplicateIndex(), "https://a.example/1", page(*STORY))
        store(conn, NearDuplicateIndex(), "https://a.example/2", page(*OTHER_STORY))
    first.dispose()

    # A new process: new engine, new index object, nothing shared but the file.
    second = make_engine(url)
    index = NearDuplicateIndex()
    with second.begin() as conn:
        rows = conn.execute(select(func.count()).select_from(LshBucketRow)).scalar()
        _, found = store(conn, index, "https://b.example/1", syndicated_copy())
    second.dispose()
    assert rows == 2 * index.bands
    assert found is not None
    assert (found.kind, found.original_id) == ("near", original)


def test_remove_takes_an_original_out_of_the_near_index(engine, index):
    with engine.begin() as conn:
        original, _ = store(conn, index, "https://a.example/1", page(*STORY))
        index.remove(conn, original)
        remaining = conn.execute(select(func.count()).select_from(LshBucketRow)).scalar()
        body = syndicated_copy()
        found = find_original(conn, index, index.fingerprint(body))
    assert remaining == 0
    assert found is None


def test_rebuild_reindexes_originals_with_new_parameters(engine, index):
    with engine.begin() as conn:
        original, _ = store(conn, index, "https://a.example/1", page(*STORY))
        store(conn, index, "https://b.example/1", syndicated_copy())  # a duplicate: not indexed
        store(conn, index, "https://a.example/2", page(*OTHER_STORY))
        wider = NearDuplicateIndex(band_rows=4)
        assert wider.rebuild(conn) == 2
        rows = conn.execute(select(func.count()).select_from(LshBucketRow)).scalar()
        body = syndicated_copy() + "\nMore on this story soon."
        found = find_original(conn, wider, wider.fingerprint(body))
    assert rows == 2 * wider.bands
    assert found is not None
    assert found.original_id == original


def test_lookup_reads_the_index_by_key_never_by_scan(sqlite_engine, index):
    # SQLite's plan, which is stable; PostgreSQL's planner scans tables this small.
    keys = index.signature(page(*STORY)).band_keys
    with sqlite_engine.begin() as conn:
        compiled = index._candidate_query(len(keys)).compile(conn)
        values = compiled.construct_params({f"k{band}": key for band, key in enumerate(keys)})
        positional = tuple(values[name] for name in compiled.positiontup)
        plan = [
            row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional)
        ]
    assert any("SEARCH lsh_buckets USING PRIMARY KEY (band=? AND bucket=?)" in p for p in plan)
    assert not any(p.startswith("SCAN lsh_buckets") or p.startswith("SCAN articles") for p in plan)


def test_crowded_buckets_cost_at_most_max_candidates_texts(engine):
    index = NearDuplicateIndex(max_candidates=5)
    signature = index.signature(page(*STORY))
    with engine.begin() as conn:
        now = utcnow()
        for n in range(30):
            # 30 originals that share every bucket: the worst case for a lookup.
            row_id = conn.execute(
                insert(ArticleRow).values(
                    url=f"https://a.example/{n}", domain="a.example", text=f"filler {n}",
                    word_count=2, content_hash=f"{n}", first_seen_at=now, last_seen_at=now,
                )
            ).inserted_primary_key[0]  # fmt: skip
            index.add(conn, row_id, signature)
        candidates = index._candidate_texts(conn, signature.band_keys)
    assert len(candidates) == 5


def test_an_exact_copy_is_found_by_its_hash_before_the_near_index(engine, index):
    with engine.begin() as conn:
        original, _ = store(conn, index, "https://a.example/1", page(*STORY))
        index.remove(conn, original)  # not in the near index: only the hash can find it
        copy = page(*STORY).upper()
        found = find_original(conn, index, index.fingerprint(copy))
    assert found is not None
    assert (found.kind, found.original_id, found.similarity) == ("exact", original, 1.0)


def test_signature_is_a_text_signature(index):
    signature = index.signature(page(*STORY))
    assert isinstance(signature, TextSignature)
    assert len(signature.band_keys) == index.bands
    assert all(-(2**63) <= key < 2**63 for key in signature.band_keys)


def test_remove_finds_rows_written_under_other_parameters(engine, index):
    other = NearDuplicateIndex(band_rows=4)
    with engine.begin() as conn:
        original, _ = store(conn, other, "https://a.example/1", page(*STORY))
        store(conn, other, "https://a.example/2", page(*OTHER_STORY))
        index.remove(conn, original)
        left = conn.execute(select(LshBucketRow.article_id).distinct()).scalars().all()
    assert original not in left
    assert len(left) == 1
