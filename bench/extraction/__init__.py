"""Article-body extraction benchmark: ``python -m bench.extraction --dataset DIR``.

See docs/extraction.md, "Benchmark".
"""
