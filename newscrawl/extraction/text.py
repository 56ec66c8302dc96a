"""Word counting and line keys shared by the extraction modules."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

# Chinese and Japanese are written without spaces: each ideograph or kana counts as a word,
# as word processors count them, so a Japanese article is not "too short" (and near-duplicate
# shingles, newscrawl/dedupe/minhash.py, are character n-grams there).
_CJK: Final = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD: Final = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
"""A word: one CJK ideograph or kana, or a run of other word characters."""
_TOKEN: Final = re.compile(r"\w+")


# Extraction looks at the same lines many times (rules, classification, selection), so
# lines are counted and keyed once; whole texts are not kept (a crawl would hold them all).
_CACHED_LENGTH: Final = 1000


def count_words(text: str) -> int:
    if len(text) <= _CACHED_LENGTH:
        return _count_line(text)
    return len(WORD.findall(text))


@lru_cache(maxsize=8192)
def _count_line(text: str) -> int:
    return len(WORD.findall(text))


def line_key(text: str) -> str:
    """A line reduced to its lowercased word tokens, for comparing texts across markup."""
    if len(text) <= _CACHED_LENGTH:
        return _key_line(text)
    return " ".join(_TOKEN.findall(text.lower()))


@lru_cache(maxsize=8192)
def _key_line(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))
