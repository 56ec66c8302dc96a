"""Benchmark folders: pages, gold, URLs, metadata gold, and the split by site.

A folder holds ``html/<id>.html.gz`` and ``ground-truth.json`` (``{id: {"articleBody",
"url"}}``); optionally ``ground-truth-nohead.json`` (the same gold without its headline
line), ``metadata.json`` (``{id: {"title", "authors", "date"}}``) and ``MANIFEST.json``
(per-page ``site`` under ``page_sources``). Pages are stored as fetched, so they are decoded
once, before any timing, with the project's own decoder, and every extractor gets that str.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from newscrawl.crawl.urls import site_of
from newscrawl.extraction.decoding import decode_html


@dataclass
class Dataset:
    name: str
    pages: dict[str, str]
    urls: dict[str, str]
    gold: dict[str, str]
    sites: dict[str, str]
    gold_nohead: dict[str, str] | None = None
    # id -> {"title", "authors", "date"}; the headline of big9 comes from its first gold line
    meta: dict[str, dict[str, str]] = field(default_factory=dict)

    def subset(self, ids: set[str], suffix: str) -> Dataset:
        def keep(values: dict[str, str]) -> dict[str, str]:
            return {k: v for k, v in values.items() if k in ids}

        return Dataset(
            f"{self.name}{suffix}",
            keep(self.pages),
            keep(self.urls),
            keep(self.gold),
            keep(self.sites),
            keep(self.gold_nohead) if self.gold_nohead is not None else None,
            {k: v for k, v in self.meta.items() if k in ids},
        )


def _read_json(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _site(url: str) -> str:
    try:
        return site_of(url) if url else ""
    except ValueError:
        return ""


def load_dataset(folder: Path) -> Dataset:
    truth = _read_json(folder / "ground-truth.json")
    gold = {k: (v.get("articleBody") or "") for k, v in truth.items()}
    urls = {k: (v.get("url") or "") for k, v in truth.items()}
    pages = {}
    for page_id in sorted(truth):
        with gzip.open(folder / "html" / f"{page_id}.html.gz") as handle:
            raw = handle.read()
        pages[page_id] = decode_html(raw) or raw.decode("utf-8", errors="replace")
    manifest_sites = {
        k: v.get("site", "")
        for k, v in _read_json(folder / "MANIFEST.json").get("page_sources", {}).items()
    }
    sites = {k: manifest_sites.get(k) or _site(urls[k]) or k for k in truth}
    nohead_truth = _read_json(folder / "ground-truth-nohead.json")
    nohead = {k: (v.get("articleBody") or "") for k, v in nohead_truth.items()} or None
    meta = {k: dict(v) for k, v in _read_json(folder / "metadata.json").items()}
    if nohead is not None:
        # The gold's first line is the headline where the nohead file dropped it.
        for k, body in gold.items():
            first = next((line.strip() for line in body.splitlines() if line.strip()), "")
            if first and nohead.get(k, body) != body:
                meta.setdefault(k, {})["title"] = first
    return Dataset(folder.name, pages, urls, gold, sites, nohead, meta)


def site_half(site: str) -> str:
    """ "dev" or "holdout": a fixed split of sites (not pages), so no site is on both sides."""
    digest = hashlib.sha256(site.encode("utf-8")).digest()
    return "dev" if digest[0] % 2 == 0 else "holdout"


def split_by_site(data: Dataset) -> tuple[Dataset, Dataset]:
    dev = {k for k, site in data.sites.items() if site_half(site) == "dev"}
    holdout = set(data.sites) - dev
    return data.subset(dev, "/dev"), data.subset(holdout, "/holdout")
