"""``newscrawl export``: articles as JSON lines, JSON, CSV or Parquet, streamed to a file.

Parquet needs the optional extra ``parquet`` (pyarrow) and keeps real types: timestamps
as timestamps (UTC), categories and tags as lists of strings.
"""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click
from sqlalchemy import JSON, Float, Integer

from newscrawl.cli.group import cli
from newscrawl.cli.options import date_options, db_option, open_store
from newscrawl.cli.output import write_csv, write_json, write_jsonl
from newscrawl.query import reads as queries
from newscrawl.store.schema import ARTICLES, UTCDateTime, UTCText, as_utc

if TYPE_CHECKING:
    from collections.abc import Iterator

EXPORT_FORMATS: Final = ("jsonl", "json", "csv", "parquet")
PARQUET_BATCH: Final = 5_000


@cli.command()
@db_option
@click.option("--jsonl", "fmt", flag_value="jsonl", help="One JSON object a line (the default).")
@click.option("--json", "fmt", flag_value="json", help="A JSON array.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")
@click.option("--parquet", "fmt", flag_value="parquet", help="Parquet (needs -o and the extra).")
@click.option(
    "--format", "format_name", type=click.Choice(EXPORT_FORMATS), help="Same as the flags above."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="File to write [default: stdout].",
)
@click.option("--source", help="Only this source.")
@date_options
@click.option("--all", "include_duplicates", is_flag=True, help="Include duplicate copies.")
def export(
    db: str | None,
    fmt: str | None,
    format_name: str | None,
    output: str,
    source: str | None,
    since: datetime | None,
    until: datetime | None,
    include_duplicates: bool,
) -> None:
    """Export articles (stories only unless --all), every column, in id order.

    \b
    Example:
        newscrawl export --since 2024-05-01 -o may.jsonl
        newscrawl export --since 30d --parquet -o month.parquet
    """
    if fmt and format_name and fmt != format_name:
        raise click.UsageError(f"--{fmt} and --format {format_name} disagree; give one")
    fmt = fmt or format_name or "jsonl"
    if fmt == "parquet" and output == "-":
        raise click.UsageError("--parquet writes a file: give -o FILE")
    filters = queries.Filters(source, since, until, include_duplicates)
    listing = queries.export_rows(open_store(db), filters)
    if fmt == "parquet":
        write_parquet(listing.rows, Path(output))
        return
    with click.open_file(output, "w", encoding="utf-8") as out:
        if fmt == "csv":
            write_csv(listing.rows, listing.columns, out)
        elif fmt == "json":
            write_json(listing.rows, out)
        else:
            write_jsonl(listing.rows, out)


def arrow_schema() -> Any:
    """Arrow types from the article columns' own types."""
    import pyarrow as pa

    def arrow_type(column: Any) -> Any:
        kind = column.type
        if isinstance(kind, UTCDateTime | UTCText):
            return pa.timestamp("us", tz="UTC")
        if isinstance(kind, JSON):
            return pa.list_(pa.string())
        if isinstance(kind, Integer):
            return pa.int64()
        if isinstance(kind, Float):
            return pa.float64()
        return pa.string()

    return pa.schema([(c.name, arrow_type(c)) for c in ARTICLES.columns])


def write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    """Write rows in batches, so memory holds one batch however many rows there are."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise click.ClickException(
            "--parquet needs pyarrow: pip install 'newscrawl[parquet]'"
        ) from None
    schema = arrow_schema()
    stamps = [f.name for f in schema if pa.types.is_timestamp(f.type)]
    written = 0
    with pq.ParquetWriter(path, schema) as writer:
        while True:
            batch = list(islice(rows, PARQUET_BATCH))
            columns = {name: [row[name] for row in batch] for name in schema.names}
            for name in stamps:
                columns[name] = [None if v is None else as_utc(v) for v in columns[name]]
            writer.write_batch(pa.RecordBatch.from_pydict(columns, schema=schema))
            written += len(batch)
            if len(batch) < PARQUET_BATCH:
                break
    return written
