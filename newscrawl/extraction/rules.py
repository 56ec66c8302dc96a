"""The registry of named boilerplate rules.

Two kinds: *tree rules* (newscrawl/extraction/prune.py) remove elements from the parsed
page before trafilatura sees it: hidden, print-only, teaser and subscription boxes. *Line
rules* (newscrawl/extraction/lines.py) drop lines of the extracted text that are
boilerplate whatever markup carried them: "Read more: ...", newsletter prompts, share bars.
Every rule is general (nothing keyed on a site), has a name and a one-line reason, and is
covered by a fixture test in tests/test_extract_rules.py. docs/extraction.md lists them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: str  # "tree" or "line"
    why: str


REGISTRY: Final[dict[str, Rule]] = {}


def register(name: str, kind: str, why: str) -> Rule:
    if name in REGISTRY:
        raise ValueError(f"rule {name!r} registered twice")
    rule = Rule(name, kind, why)
    REGISTRY[name] = rule
    return rule


_DISABLED: set[str] = set()


def is_enabled(name: str) -> bool:
    return name not in _DISABLED


@contextmanager
def disabled(*names: str) -> Iterator[None]:
    """Switch rules off for a block: the benchmark's ablation measures each rule this way."""
    unknown = set(names) - set(REGISTRY)
    if unknown:
        raise KeyError(f"unknown rules: {sorted(unknown)}")
    before = set(_DISABLED)
    _DISABLED.update(names)
    try:
        yield
    finally:
        _DISABLED.clear()
        _DISABLED.update(before)
