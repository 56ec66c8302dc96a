"""From response bytes to HTML text, refusing what is not HTML.

The order of trust: a byte-order mark; then strict UTF-8 (by far the most common encoding of
news sites, and a strict decode of non-UTF-8 bytes almost always fails); then the
encodings declared, the HTTP ``Content-Type`` charset before the document's own
``<meta charset>`` or ``http-equiv`` as in browsers; then charset_normalizer's guess; then
cp1252 with replacement so we never fail on text that is merely damaged. Crawls and
re-extraction decode with these same rules (re-extraction has no HTTP header to go by).
"""

from __future__ import annotations

import codecs
import logging
import re
from typing import Final

from charset_normalizer import from_bytes
from lxml import html as lxml_html

logger = logging.getLogger(__name__)

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET: Final = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
# Magic numbers of formats a crawler meets instead of HTML.
_BINARY_MAGIC: Final = (
    b"%PDF-", b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b",
    b"RIFF", b"OggS", b"ID3", b"\x00\x00\x00", b"BM", b"II*\x00", b"MM\x00*", b"wOFF", b"wOF2",
    b"\xd0\xcf\x11\xe0", b"7z\xbc\xaf", b"Rar!", b"fLaC",
)  # fmt: skip
_HTML_MARKERS: Final = re.compile(
    r"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|article|main|section|span|a|h[1-6])\b",
    re.IGNORECASE,
)


def _declared_encoding(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    return codec_name(match.group(1).decode("ascii", "ignore"))


# As in browsers (WHATWG Encoding), pages labelled ISO-8859-1 or ASCII are read as
# windows-1252: its printable characters in 0x80-0x9F (curly quotes, dashes) are what such
# pages mean, never C1 control characters.
_WINDOWS_1252_LABELS: Final = frozenset({"iso8859-1", "ascii"})
_HTTP_CHARSET: Final = re.compile(rb"""charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)


def codec_name(label: str | None) -> str | None:
    """Python's name for a declared charset (``UTF8``, ``latin1``), or None if unknown."""
    name = (label or "").strip().lower()
    if not name:
        return None
    try:
        found = codecs.lookup(name).name
    except LookupError:
        return None
    return "cp1252" if found in _WINDOWS_1252_LABELS else found


def http_charset(content_type: bytes | None) -> str | None:
    """The charset of a ``Content-Type`` header value (``text/html; charset=UTF-8``)."""
    match = _HTTP_CHARSET.search(content_type or b"")
    return match.group(1).decode("ascii") if match else None


# Detector guesses among Latin single-byte code pages are unreliable on short texts
# ("coûte" read as cp1250 gives "coűte"); like browsers, we read undeclared Latin text as
# windows-1252, a superset of ISO-8859-1.
_LATIN_GUESS: Final = re.compile(
    r"^(?:cp125[02478]|windows-125[02478]|latin_?1|iso8859_(?:[1-49]|1[03-6])|mac_\w+|ascii)$",
    re.IGNORECASE,
)


def decode_html(data: bytes, http_charset: str | None = None) -> str | None:
    """Decoded text, or None when the bytes give nothing sensible.

    ``http_charset``: the charset of the response's ``Content-Type`` header, if any.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    declared = [codec_name(http_charset), _declared_encoding(data[:4096])]
    # A page declaring a single-byte encoding but written in UTF-8 is common; a page
    # declaring UTF-8 and not being it is handled by the fallbacks below.
    candidates = list(dict.fromkeys(d for d in declared if d and d != "utf-8"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding and not _LATIN_GUESS.match(best.encoding):
        # A guessed Cyrillic, Greek, CJK ... page: trust the detector.
        try:
            return data.decode(best.encoding, errors="replace")
        except LookupError:
            logger.debug("charset_normalizer proposed an unknown codec %s", best.encoding)
    return data.decode("cp1252", errors="replace")


_MAX_NUL_SHARE: Final = 0.01
# What may come before the root element of an XML document: the declaration, processing
# instructions, comments, a doctype.
_XML_PROLOG: Final = re.compile(
    r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>|\s+)", re.S | re.I
)
_ROOT_TAG: Final = re.compile(r"<\s*(?:[\w.-]+:)?([\w.-]+)")


def xml_root(text: str) -> str | None:
    """The local name of the root element of a document that starts with an XML prolog."""
    position = 0
    while True:
        match = _XML_PROLOG.match(text, position)
        if match is None or match.end() == position:
            break
        position = match.end()
    root = _ROOT_TAG.match(text, position)
    return root.group(1).lower() if root else None


def binary_reason(data: bytes) -> str | None:
    """Why these bytes are not HTML, or None when they may be."""
    head = data[:1024].lstrip()
    if head.startswith(_BINARY_MAGIC):
        return "binary file signature"
    # UTF-16 or a binary format has NULs all through it; a stray NUL in an HTML page (a
    # template or database glitch) does not make the rest of the page binary.
    sample = data[:8192]
    if sample.count(b"\x00") > _MAX_NUL_SHARE * len(sample) and not data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        return "NUL bytes"
    return None


def text_reason(text: str) -> str | None:
    """Why decoded text is not HTML (JSON, plain text, a feed), or None when it is."""
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if not head:
        return "empty document"
    if head.count("\x00") > _MAX_NUL_SHARE * len(head):
        return "NUL characters"
    if head[0] in "{[" and not _HTML_MARKERS.search(head[:512]):
        return "JSON document"
    # XHTML is XML whose root is <html>; a feed, sitemap or SOAP reply has another root.
    if head.startswith("<?xml") and xml_root(text[:200_000]) not in {"html", None}:
        return "XML document"
    if not _HTML_MARKERS.search(text[:65536]):
        return "no HTML markup"
    return None


# trafilatura's own parser settings: comments removed at parse time keep a paragraph that a
# comment splits in one piece (lxml would otherwise leave half of it in a comment's tail).
HTML_PARSER: Final = lxml_html.HTMLParser(
    collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True
)


def parse_document(text: str) -> lxml_html.HtmlElement:
    """Parse a decoded page; raises lxml's ParserError or ValueError on what is not HTML."""
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text, count=1).replace("\x00", "")
    tree: lxml_html.HtmlElement = lxml_html.document_fromstring(text, parser=HTML_PARSER)
    return tree
