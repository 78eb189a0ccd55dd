"""Which store drives a database, by its URL."""

from __future__ import annotations

from token_emulator.core.storage.engine import AsyncEngineStore
from token_emulator.core.storage.inline_sqlite import InlineSqliteStore
from token_emulator.core.storage.store import Store


def open_store(url: str) -> Store:
    """The store for a SQLAlchemy URL (database_url makes one of `--database`): SQLite's
    own driver inline, anything else on SQLAlchemy's async engine."""
    if url.startswith(("sqlite+pysqlite://", "sqlite://")):
        return InlineSqliteStore(url)
    return AsyncEngineStore(url)
