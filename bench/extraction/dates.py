"""Date accuracy on labelled pages: ``python -m bench.extraction.dates [FOLDER]``.

FOLDER holds ``<name>.html`` pages and ``expected.json`` (``{name: {"url", "published_at",
"modified_at"}}``, ``null`` for "no date on the page"); it defaults to the fixture set in
tests/fixtures/pages/dates. A value counts as correct when it equals the label exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article

DEFAULT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "pages" / "dates"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction.dates")
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT)
    args = parser.parse_args(argv)
    expected = json.loads((args.folder / "expected.json").read_text(encoding="utf-8"))
    right = total = 0
    for name, label in sorted(expected.items()):
        html = (args.folder / f"{name}.html").read_text(encoding="utf-8")
        result = extract_article(html, label["url"])
        for field in ("published_at", "modified_at"):
            if field == "modified_at" and label[field] is None:
                continue  # pages label modified_at only where they carry one
            found = getattr(result, field) if isinstance(result, Article) else None
            total += 1
            right += found == label[field]
            if found != label[field]:
                print(f"  wrong {name} {field}: {found} (expected {label[field]})")
    print(f"date accuracy: {right}/{total} = {right / total:.3f} on {len(expected)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
