"""Dedupe benchmark: decision quality on real article text, and lookup cost at scale.

Run ``python -m bench.dedupe quality --dataset PATH`` and ``python -m bench.dedupe scale``;
docs/dedupe.md holds the figures and how to read them.
"""
