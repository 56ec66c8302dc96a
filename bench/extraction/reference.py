"""The extractors we compare against, called as a user of each library would call it."""

from __future__ import annotations

from typing import Any

import trafilatura

from newscrawl.extraction.candidates import html_text


def plain_trafilatura(html: str, url: str) -> str:
    # The reference call of the shared benchmark README (no url, no options).
    return trafilatura.extract(html, include_comments=False) or ""


def trafilatura_metadata(html: str, url: str) -> dict[str, Any]:
    document = trafilatura.bare_extraction(html, url=url or None, with_metadata=True)
    return document.as_dict() if document is not None else {}  # type: ignore[union-attr]


def readability_lxml(html: str, url: str) -> str:
    """readability-lxml's summary as text (the bench extra installs it, not the runtime)."""
    # Imported here: readability-lxml is in the bench extra only, not a runtime dependency.
    from readability import Document

    try:
        summary = Document(html, url=url or None).summary(html_partial=True)
    except Exception:  # it raises on pages it cannot read; for scoring that is no text
        return ""
    return html_text(summary)
