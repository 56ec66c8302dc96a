"""Made-up article texts for tests that need many distinct stories."""

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
