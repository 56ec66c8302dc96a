"""Helpers for tests that take a store as a URL or a SQLite file path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text


def as_url(store: str | Path) -> str:
    """A store's URL; a path means a SQLite file."""
    return store if isinstance(store, str) else f"sqlite:///{store}"


def rows(store: str | Path, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(as_url(store))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()
