"""Crawl benchmarks: ``python -m bench.crawl`` (docs/performance.md)."""
