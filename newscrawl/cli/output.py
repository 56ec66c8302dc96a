"""One output convention for every command that lists rows: a table (the default),
``--json``, ``--jsonl`` or ``--csv``, written row by row as the rows are read.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, Any, Final, TypeVar

import click

from newscrawl.store.schema import format_timestamp

F = TypeVar("F", bound=Callable[..., Any])
FORMATS: Final = ("json", "jsonl", "csv")
# The table's column widths come from the first rows; later rows are cut to fit.
TABLE_SAMPLE: Final = 200
CELL_WIDTH: Final = 60


def output_options(fn: F) -> F:
    """--json, --jsonl, --csv or a plain table (the default)."""
    for option in (
        click.option("--csv", "fmt", flag_value="csv", help="Output CSV (a header row first)."),
        click.option("--jsonl", "fmt", flag_value="jsonl", help="Output one JSON object a line."),
        click.option("--json", "fmt", flag_value="json", help="Output a JSON array."),
    ):
        fn = option(fn)
    return fn


def plain(value: Any) -> Any:
    """JSON's and CSV's view of a stored value: timestamps in the stored ISO form."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value


def to_json(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=plain)


def write_json(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    """A JSON array written one element at a time."""
    out.write("[")
    for n, row in enumerate(rows):
        out.write(("," if n else "") + "\n  " + to_json(row, 2).replace("\n", "\n  "))
    out.write("\n]\n")


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    for row in rows:
        out.write(to_json(row) + "\n")


def write_csv(rows: Iterable[dict[str, Any]], columns: Iterable[str], out: IO[str]) -> None:
    """CSV with its header even when there are no rows; lists as JSON text."""
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: to_json(v) if isinstance(v, list | dict) else plain(v) for k, v in row.items()}
        )


def emit(
    rows: Iterable[dict[str, Any]],
    fmt: str | None,
    columns: Iterable[str] | None = None,
    *,
    out: IO[str] | None = None,
    focus: str | None = None,
) -> None:
    """Print rows in the chosen format, streaming; ``focus`` is a column the table keeps
    whole around its [highlight] (search snippets)."""
    out = out or sys.stdout
    rows = iter(rows)
    if columns is None:  # a plain list of rows: the first row names the columns
        first = next(rows, None)
        columns = list(first) if first else []
        rows = itertools.chain([first] if first else [], rows)
    if fmt == "json":
        write_json(rows, out)
    elif fmt == "jsonl":
        write_jsonl(rows, out)
    elif fmt == "csv":
        write_csv(rows, columns, out)
    else:
        write_table(rows, list(columns), out, focus=focus)


def cell(value: Any, width: int = CELL_WIDTH) -> str:
    text = "" if value is None else str(plain(value)).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def around_highlight(text: str, width: int, mark: str = "[") -> str:
    """``width`` characters of ``text`` centred on its first ``mark``, never cut before it."""
    text = text.replace("\n", " ")
    if len(text) <= width:
        return text
    start = max(0, min(text.find(mark) - width // 3, len(text) - width))
    piece = text[start : start + width]
    if start:
        piece = "…" + piece[1:]
    if start + width < len(text):
        piece = piece[:-1] + "…"
    return piece


def write_table(
    rows: Iterator[dict[str, Any]], columns: list[str], out: IO[str], *, focus: str | None = None
) -> None:
    sample = list(itertools.islice(rows, TABLE_SAMPLE))
    if not sample:
        out.write("(no rows)\n")
        return
    focus_width = 2 * CELL_WIDTH

    def render(row: dict[str, Any]) -> list[str]:
        return [
            around_highlight(str(row.get(c) or ""), focus_width) if c == focus else cell(row.get(c))
            for c in columns
        ]

    table = [render(r) for r in sample]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        fitted = [
            v if len(v) <= w else v[: w - 1] + "…" for v, w in zip(values, widths, strict=True)
        ]
        return "  ".join(v.ljust(w) for v, w in zip(fitted, widths, strict=True)).rstrip() + "\n"

    out.write(line(columns))
    out.write(line(["-" * w for w in widths]))
    for values in itertools.chain(table, (render(r) for r in rows)):
        out.write(line(values))
