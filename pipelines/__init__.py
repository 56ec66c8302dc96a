"""Item pipelines: fingerprint articles for dedupe, then store them in batches.

Enabled in newscrawl/settings.py (ITEM_PIPELINES); each reads its NEWSCRAWL_* settings in
``from_crawler``.
"""
