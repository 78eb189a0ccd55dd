"""The store: one SQLAlchemy async engine, the shared metadata, and the ways in.

Every table of every vendor hangs off `metadata`, so migrating and resetting
are one loop over it. SQLite is the default; the same statements run on any
database SQLAlchemy's async engine speaks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, delete, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable

metadata = MetaData()

# Long enough that a second process's write (always a single short
# transaction) finishes before we give up; SQLite's busy handler retries.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def database_url(value: str) -> str:
    """Turn `--database` (a path, `:memory:` or a URL) into an async SQLAlchemy URL."""
    if value.startswith("sqlite://"):
        # The URL people type; the emulator needs SQLAlchemy's async driver.
        return "sqlite+aiosqlite://" + value.removeprefix("sqlite://")
    if "://" in value:
        return value
    if value == ":memory:":
        return "sqlite+aiosqlite:///:memory:"
    path = Path(value).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{path}"


def describe_database(url: str) -> str:
    """The URL without credentials, for health and logs."""
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        rest = rest.split("@", 1)[1]
    return f"{scheme}://{rest}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # busy_timeout first: switching to WAL waits for other processes too.
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # WAL with synchronous=NORMAL survives a killed process (what tests do);
    # only a power loss can drop the last commits.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


class Store:
    """The one door to persistent state."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.in_memory = url.startswith("sqlite") and ":memory:" in url
        options: dict[str, Any] = {}
        if self.in_memory:
            # One shared connection, or each checkout would see an empty database.
            options["poolclass"] = StaticPool
        self.engine: AsyncEngine = create_async_engine(url, **options)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # SQLite takes one writer at a time. Queueing our own writers here
        # keeps them out of SQLite's sleeping busy handler, which is reserved
        # for writers in other processes. With the single in-memory connection
        # the lock also keeps two tasks' transactions from interleaving.
        self._lock: asyncio.Lock | None = asyncio.Lock() if self.dialect == "sqlite" else None

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        if self.in_memory and self._lock is not None:
            async with self._lock, self.engine.connect() as conn:
                yield conn
        else:
            async with self.engine.connect() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits on exit and rolls back on error."""
        if self._lock is not None:
            async with self._lock, self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.begin() as conn:
                yield conn

    async def migrate(self) -> None:
        """Create every table that is missing. Safe when two processes start at once."""
        async with self.write() as conn:
            for table in metadata.sorted_tables:
                await conn.execute(CreateTable(table, if_not_exists=True))
                for index in table.indexes:
                    await conn.execute(CreateIndex(index, if_not_exists=True))

    async def close(self) -> None:
        await self.engine.dispose()

    def _insert(self, table: Table) -> Any:
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:  # pragma: no cover - only the two dialects above are supported
            raise RuntimeError(f"no upsert for database dialect {self.dialect}")
        return insert(table)

    async def upsert(
        self, conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert rows, overwriting the rows that share their primary key."""
        if not rows:
            return
        stmt = self._insert(table)
        updatable = {c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key}
        keys = [c.name for c in table.primary_key.columns]
        if updatable:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updatable)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        await conn.execute(stmt, list(rows))

    async def insert_missing(
        self, conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert rows whose primary key is not there yet; leave the others alone."""
        if not rows:
            return
        keys = [c.name for c in table.primary_key.columns]
        stmt = self._insert(table).on_conflict_do_nothing(index_elements=keys)
        await conn.execute(stmt, list(rows))

    @staticmethod
    async def clear(conn: AsyncConnection, tables: Iterable[Table]) -> None:
        """Delete every row, children before parents."""
        for table in reversed(list(tables)):
            await conn.execute(delete(table))
