"""The store: one SQLAlchemy async engine, the shared metadata, and the ways in.

Every table of every vendor hangs off `metadata`, so migrating and resetting
are one loop over it. SQLite is the default; the same statements run on
PostgreSQL (`postgresql+asyncpg://...`), where several replicas may share one
database: the few PostgreSQL-only needs are the `_postgres_*` helpers below.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Integer, MetaData, Table, delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable

metadata = MetaData()

# The type of a counting id that a request may name: 64-bit, as SQLite's integers
# are (PostgreSQL's INTEGER is 32-bit); SQLite counts only on INTEGER PRIMARY KEY.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

# Long enough that a second process's write (always a single short
# transaction) finishes before we give up; SQLite's busy handler retries.
SQLITE_BUSY_TIMEOUT_MS = 10_000

# PostgreSQL: the advisory lock every write transaction takes, shared, and a reset,
# a seed or a migration takes alone (any number; "EMUL" in ASCII).
POSTGRES_WRITE_LOCK = 0x454D554C
# PostgreSQL text cannot hold NUL, which vendor input may: NUL travels as ESCAPE + "0"
# and ESCAPE itself doubled, both ways, so every string comes back as it was sent.
POSTGRES_TEXT_ESCAPE = "\uffff"


def database_url(value: str) -> str:
    """Turn `--database` (a path, `:memory:` or a URL) into an async SQLAlchemy URL."""
    if value.startswith("sqlite://"):
        # The URL people type; the emulator needs SQLAlchemy's async driver.
        return "sqlite+aiosqlite://" + value.removeprefix("sqlite://")
    for plain in ("postgresql://", "postgres://"):
        if value.startswith(plain):
            return "postgresql+asyncpg://" + value.removeprefix(plain)
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


def _postgres_escape(value: str) -> str:
    if "\x00" not in value and POSTGRES_TEXT_ESCAPE not in value:
        return value
    escaped = value.replace(POSTGRES_TEXT_ESCAPE, POSTGRES_TEXT_ESCAPE * 2)
    return escaped.replace("\x00", POSTGRES_TEXT_ESCAPE + "0")


def _postgres_unescape(value: str) -> str:
    if POSTGRES_TEXT_ESCAPE not in value:
        return value
    pieces = value.split(POSTGRES_TEXT_ESCAPE)
    out = [pieces[0]]
    index = 1
    while index < len(pieces):
        piece = pieces[index]
        if piece == "" and index + 1 < len(pieces):  # a doubled escape: the character itself
            out.append(POSTGRES_TEXT_ESCAPE + pieces[index + 1])
            index += 2
        else:  # "0...": a NUL
            out.append("\x00" + piece[1:])
            index += 1
    return "".join(out)


def _postgres_text_codecs(dbapi_connection: Any, _record: Any) -> None:
    """Every text and varchar value through the NUL escape, on each new asyncpg connection."""

    async def register(connection: Any) -> None:
        for type_name in ("text", "varchar"):
            await connection.set_type_codec(
                type_name,
                schema="pg_catalog",
                encoder=_postgres_escape,
                decoder=_postgres_unescape,
                format="text",
            )

    dbapi_connection.run_async(register)


async def _postgres_write_lock(conn: AsyncConnection, exclusive: bool) -> None:
    """Writers share the lock; a reset waits for them and holds them off until it commits.

    Without it a reset deleting rows, table after table, deadlocks with a request
    writing rows that point at them (SQLite takes one writer at a time anyway).
    """
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    await conn.execute(select(lock(POSTGRES_WRITE_LOCK)))


async def _postgres_restart_identities(conn: AsyncConnection, table: Table) -> None:
    """After a reset, ids count from 1 again, as SQLite's do in an emptied table (a fault's
    default seed is its id, so a script's faults draw the same after every reset)."""
    column = table.autoincrement_column
    if column is not None:
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        await conn.execute(select(func.setval(sequence, 1, False)))


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
        elif self.dialect == "postgresql":
            event.listen(self.engine.sync_engine, "connect", _postgres_text_codecs)
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
    async def write(self, *, exclusive: bool = False) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits on exit and rolls back on error.

        `exclusive` (a reset, a seed, a migration): no other write runs alongside it,
        in any process. SQLite's writes are all exclusive already.
        """
        if self._lock is not None:
            async with self._lock, self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    await _postgres_write_lock(conn, exclusive)
                yield conn

    async def migrate(self) -> None:
        """Create every table that is missing. Safe when two processes start at once."""
        # Exclusive: PostgreSQL's CREATE ... IF NOT EXISTS is not safe against a
        # concurrent CREATE of the same table (a duplicate key in its catalog).
        async with self.write(exclusive=True) as conn:
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
            if conn.dialect.name == "postgresql":
                await _postgres_restart_identities(conn, table)
