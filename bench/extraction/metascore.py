"""Metadata accuracy: title, author and publication day against the gold where it has them.

* title: exact after lowercasing and keeping word tokens only (quotes and dashes vary);
* author: the set of name tokens equal (order, separators and "By" ignored);
* date: the same calendar day (our dates are ISO 8601 UTC; gold dates are days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)


def _title_key(text: str | None) -> str:
    return " ".join(_WORD.findall((text or "").lower()))


def _author_key(text: str | None) -> frozenset[str]:
    return frozenset(_WORD.findall(_BY.sub("", text or "").lower())) - {"and", "by"}


@dataclass
class FieldScore:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += ok
        self.total += 1

    def rate(self) -> float | None:
        return self.right / self.total if self.total else None


def score_metadata(
    gold: dict[str, dict[str, str]], predicted: dict[str, dict[str, str | None]]
) -> dict[str, FieldScore]:
    scores = {"title": FieldScore(), "author": FieldScore(), "date": FieldScore()}
    for page_id, fields in gold.items():
        mine = predicted.get(page_id, {})
        if fields.get("title"):
            scores["title"].add(_title_key(mine.get("title")) == _title_key(fields["title"]))
        if fields.get("authors"):
            scores["author"].add(_author_key(mine.get("author")) == _author_key(fields["authors"]))
        if fields.get("date"):
            scores["date"].add((mine.get("date") or "")[:10] == fields["date"][:10])
    return scores
