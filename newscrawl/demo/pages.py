"""The demo outlets' pages: each outlet's shared parts (masthead, navigation, footer) are
written once, in ``<outlet>/_blocks/<name>.html``, and a page names them on a line of its own:
``<!--#block name-->``. :func:`render` puts them back, at serve time. Standard library only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

# Not a dot folder: package data globs skip hidden files, and the wheel must carry these.
BLOCKS_DIR: Final = "_blocks"
_MARKER: Final = re.compile(rb"^<!--#block ([\w-]+)-->\n", re.M)


def outlet_of(page: Path) -> Path | None:
    """The nearest folder above ``page`` that holds a ``_blocks`` folder, if any."""
    for folder in page.parents:
        if (folder / BLOCKS_DIR).is_dir():
            return folder
    return None


def render(page: bytes, outlet: Path) -> bytes:
    """``page`` with each block line replaced by the block (an unknown block is an error).

    Blocks may name other blocks: the parts two blocks share are blocks of their own.
    """

    def block(match: re.Match[bytes]) -> bytes:
        return render((outlet / BLOCKS_DIR / f"{match[1].decode()}.html").read_bytes(), outlet)

    return _MARKER.sub(block, page)


def read_page(path: Path) -> bytes:
    """A demo file as its outlet serves it (before ``{{BASE}}`` is replaced)."""
    body = path.read_bytes()
    outlet = outlet_of(path)
    if outlet is None or path.suffix != ".html" or b"<!--#block " not in body:
        return body
    return render(body, outlet)
