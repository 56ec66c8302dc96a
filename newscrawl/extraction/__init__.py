"""The parts of article extraction: decoding, metadata, dates, page classification and
boilerplate rules. :func:`newscrawl.extraction.extract.extract_article` puts them together.

See docs/extraction.md.
"""
