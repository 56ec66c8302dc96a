from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from newscrawl.crawl.sources import SourcesError, default_sources_path, load_sources, select_sources

if TYPE_CHECKING:
    from pathlib import Path


def test_shipped_sources_are_valid_and_varied() -> None:
    sources = load_sources(default_sources_path())
    assert len(sources) >= 12
    assert {s.kind for s in sources} == {"feed", "sitemap", "site"}
    assert all(u.startswith("https://") for s in sources for u in s.urls)


def test_select_only_some(tmp_path: Path) -> None:
    sources = load_sources()
    assert [s.name for s in select_sources(sources, "bbc,npr")] == ["bbc", "npr"]
    with pytest.raises(SourcesError, match="unknown source"):
        select_sources(sources, "bbc,nosuch")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no \\[\\[source\\]\\] entries"),
        ("[[source]\nname=", "not valid TOML"),
        ('[[source]]\nname = "Bad Name"\nkind = "feed"\nurls = ["https://a.example/"]', "'name'"),
        ('[[source]]\nname = "a"\nkind = "podcast"\nurls = ["https://a.example/"]', "'kind'"),
        ('[[source]]\nname = "a"\nkind = "feed"\nurls = ["ftp://a.example/"]', "'urls'"),
        ('[[source]]\nname = "a"\nkind = "feed"\nurls = ["http://"]', "with a host: http://$"),
        (
            '[[source]]\nname = "a"\nkind = "site"\nurls = ["https://a/"]\nmax_pagez = 3',
            r"unknown key 'max_pagez'; did you mean 'max_pages'\?",
        ),
        (
            '[[source]]\nname = "a"\nkind = "feed"\nurls = ["https://a/"]\ncolour = "red"',
            r"unknown key 'colour' \(keys: allow, deny, homepage, kind, max_depth",
        ),
        (
            '[[source]]\nname = "a"\nkind = "site"\nurls = ["https://a/"]\nmax_pages = -1',
            "max_pages",
        ),
        (
            '[[source]]\nname = "a"\nkind = "site"\nurls = ["https://a/"]\nallow = ["("]',
            "bad regex",
        ),
        (
            '[[source]]\nname = "a"\nkind = "feed"\nurls = ["https://a/"]\n'
            '[[source]]\nname = "a"\nkind = "feed"\nurls = ["https://b/"]',
            "duplicate source names: a",
        ),
    ],
)
def test_bad_sources_files_say_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(content)
    with pytest.raises(SourcesError, match=message):
        load_sources(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="not found"):
        load_sources(tmp_path / "nope.toml")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SourcesError, match="not valid TOML"):
        load_sources(path)
