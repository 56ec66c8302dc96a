"""Made-up article texts and pages for tests that need many distinct stories."""

from __future__ import annotations

import random

VOCABULARY = (
    "council harbour river school storm market vaccine election rail court farm museum "
    "strike airport energy wildfire satellite festival library bank hospital mayor drought "
    "bridge port tariff union ferry climate ocean police football orchestra budget teacher "
    "nurse engineer minister protest verdict flood harvest refinery coastline archive"
).split()


def distinct_text(seed: int, words: int = 150) -> str:
    """A text that shares almost no 5-word run with another seed's: a different story."""
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(words))


def article_page(number: int) -> str:
    paragraphs = "".join(
        f"<p>{distinct_text(number * 10 + n, words=40).capitalize()}.</p>" for n in range(5)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>Report {number}</title>"
        "<meta property='og:type' content='article'>"
        "<meta property='article:published_time' "
        f"content='2024-05-{number % 28 + 1:02d}T08:00:00Z'>"
        f"</head><body><article><h1>Report number {number}</h1>{paragraphs}</article></body></html>"
    )


def rss(links: list[str]) -> str:
    """An RSS 2.0 feed whose entries link to ``links``."""
    items = "".join(f"<item><link>{link}</link></item>" for link in links)
    return f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
