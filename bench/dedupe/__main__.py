"""python -m bench.dedupe {quality,scale}: see docs/dedupe.md."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from newscrawl.dedupe.index import (
    DEFAULT_BAND_ROWS,
    DEFAULT_MIN_LENGTH_RATIO,
    DEFAULT_NUM_PERM,
    DEFAULT_THRESHOLD,
    NearDuplicateIndex,
)

DEFAULT_DATASET = Path("/work/shared/bench/extraction/scrapinghub")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dedupe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    quality = sub.add_parser("quality", help="precision/recall on labelled pairs of real text")
    quality.add_argument("--dataset", type=Path, default=DEFAULT_DATASET,
                         help="folder with ground-truth.json and html/<id>.html.gz")  # fmt: skip
    scale = sub.add_parser("scale", help="time per decision and peak memory by store size")
    scale.add_argument("--sizes", default="1000,10000,100000", help="comma-separated store sizes")
    scale.add_argument("--probes", type=int, default=300, help="decisions timed per size")
    scale.add_argument(
        "--pragma",
        action="append",
        default=[],
        help="extra SQLite pragma for the store connection, e.g. mmap_size=1073741824",
    )
    for p in (quality, scale):
        # Defaults are the index's own defaults (the NEWSCRAWL_NEAR_DUP_* settings).
        p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
        p.add_argument("--min-length-ratio", type=float, default=DEFAULT_MIN_LENGTH_RATIO)
        p.add_argument("--num-perm", type=int, default=DEFAULT_NUM_PERM)
        p.add_argument("--band-rows", type=int, default=DEFAULT_BAND_ROWS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    index = NearDuplicateIndex(
        threshold=args.threshold,
        min_length_ratio=args.min_length_ratio,
        num_perm=args.num_perm,
        band_rows=args.band_rows,
    )
    if args.command == "quality":
        from .quality import run

        run(args.dataset, index)
    else:
        from .scale import run as run_scale

        run_scale([int(s) for s in args.sizes.split(",")], args.probes, index, args.pragma)


if __name__ == "__main__":
    main()
