"""The store: the shared metadata and the one door to persistent state.

Every table of every vendor hangs off `metadata`, so migrating and resetting
are one loop over it. Vendors talk to the store only through `read()`,
`write()` and `await conn.execute(statement)` with plain SQLAlchemy Core,
whatever the database, and through `fixture_row()` for the lookups of tables
only fixtures write. How each database is driven is the business of the two
stores behind this door:

- `InlineSqliteStore` (inline_sqlite.py), the default: SQLite on the event
  loop's own thread, writes grouped into one commit per turn of the loop,
  statements run again prepared on the driver (prepared.py);
- `AsyncEngineStore` (engine.py): SQLAlchemy's async engine, for PostgreSQL
  (postgres.py holds what it needs besides) or a `sqlite+aiosqlite://` URL.

What either does to go faster stays behind the door: a vendor's statement
means the same on both, and remembered rows (remembered.py) are answered only
while nothing can have changed them.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Integer, MetaData, Table, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.sql.base import Executable

from token_emulator.core.storage import postgres
from token_emulator.core.storage.connection import Connection
from token_emulator.core.storage.remembered import RememberedRows, Version

metadata = MetaData()

# The `info` of a table of the server's own state rather than any world's (the schema
# version, the dashboard's sessions, the list of worlds): no world's export holds it.
SERVER_ONLY = {"server_only": True}

# The type of a counting id that a request may name: 64-bit, as SQLite's integers
# are (PostgreSQL's INTEGER is 32-bit); SQLite counts only on INTEGER PRIMARY KEY.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

# Long enough that a second process's write (always a short transaction)
# finishes before we give up; SQLite's busy handler retries.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def database_url(value: str) -> str:
    """Turn `--database` (a path, `:memory:` or a URL) into a SQLAlchemy URL.

    Paths and `sqlite://` URLs select the inline SQLite driver; a URL that
    names a driver (`sqlite+aiosqlite://`, `postgresql+asyncpg://`) is kept.
    """
    if value.startswith("sqlite://"):
        return "sqlite+pysqlite://" + value.removeprefix("sqlite://")
    for plain in ("postgresql://", "postgres://"):
        if value.startswith(plain):
            return "postgresql+asyncpg://" + value.removeprefix(plain)
    if "://" in value:
        return value
    if value == ":memory:":
        return "sqlite+pysqlite:///:memory:"
    path = Path(value).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+pysqlite:///{path}"


# Query parameters of a database URL that carry a secret (libpq's and asyncpg's names).
SECRET_QUERY_KEYS = frozenset({"password", "passfile", "sslpassword"})


def describe_database(url: str) -> str:
    """The URL without credentials, for health and logs: no user or password (one with
    an `@` or `/` in it too), no password given as a query parameter."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url.partition("://")[0] + "://(not shown)"
    # SQLAlchemy ends the user and password at the first `@`: the rest of a password
    # with one in it would read as part of the host.
    where = (parsed.host or "").rpartition("@")[2]
    if parsed.port is not None:
        where += f":{parsed.port}"
    kept = [
        f"{key}={one}"
        for key, value in parsed.query.items()
        if key.lower() not in SECRET_QUERY_KEYS
        for one in (value if isinstance(value, tuple) else (value,))
    ]
    query = "?" + "&".join(kept) if kept else ""
    return f"{parsed.drivername}://{where}/{parsed.database or ''}{query}"


# Between tries at switching a new file to WAL while another process holds its lock.
WAL_SWITCH_PAUSE_SECONDS = 0.005


def _switch_to_wal(cursor: Any) -> None:
    """PRAGMA journal_mode = WAL, tried again while another connection holds the file's
    write lock, up to the busy timeout. SQLite answers "database is locked" at once
    there, without its busy handler (a connection that holds a shared lock and wants
    an exclusive one while another holds the reserved lock would deadlock waiting).
    Two `serve` processes starting together on a new file failed about one start in
    fifteen that way. On a file already in WAL (every later start) the first try
    succeeds: there is nothing to switch."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(WAL_SWITCH_PAUSE_SECONDS)  # at start-up, on a new file only


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Set on every new SQLite connection, by either store."""
    cursor = dbapi_connection.cursor()
    # busy_timeout first: switching to WAL waits for other processes too.
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    # WAL with synchronous=NORMAL survives a killed process (what tests do);
    # only a power loss can drop the last commits.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


class Store:
    """The one door to persistent state."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = url.split("://", 1)[0].split("+", 1)[0]
        self._statements: dict[tuple[str, str], Any] = {}
        self._local_changes = 0
        self._remembered = RememberedRows()
        # PostgreSQL: the schema a world's tables are in (None: the connection's own).
        self.schema_name: str | None = None

    def changed(self) -> None:
        """Say that this process changed what requests read and remember: the clock,
        the faults, the fixtures (a reset, fixtures added at run time)."""
        self._local_changes += 1

    def change_stamp(self) -> tuple[int, int] | None:
        """Equal stamps mean nobody changed the clock, the faults or the fixtures in
        between; None when the store cannot tell, and they must be read every time."""
        return None

    async def first_row(self, statement: Executable, version: Version) -> Any:
        """The one row every request reads first (the clock, the armed faults), remembered
        while the store can tell nothing changed it; this is also when the store asks
        whether anything it remembers may have changed. `version` gives what in that
        row says the fixtures were changed, where the store cannot tell (remembered.py)."""
        return await self._remembered.first_row(self.change_stamp(), self.read, statement, version)

    async def fixture_row(self, statement: Executable, **parameters: Any) -> Any:
        """One row (or None) of a table only fixtures fill: the lookups every token
        request makes (a workspace, an app, a key), answered from memory until a
        later request's first_row sees a change."""
        return await self._remembered.fixture_row(self.read, statement, parameters)

    def read(self) -> contextlib.AbstractAsyncContextManager[Connection]:
        """A connection that sees what is committed; never write through it."""
        raise NotImplementedError

    def write(
        self, *, exclusive: bool = False
    ) -> contextlib.AbstractAsyncContextManager[Connection]:
        """A transaction: committed when the block ends, rolled back if it raises.

        `exclusive` (a reset, a seed, a migration): no other write runs alongside
        it, in any process. SQLite's writes are all exclusive already."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def savepoint(self, conn: Connection, name: str) -> AsyncIterator[None]:
        """A savepoint inside the caller's write: the block's writes are undone if it
        raises, and the rest of the transaction goes on."""
        await conn.execute(text(f"SAVEPOINT {name}"))
        try:
            yield
        except BaseException:
            await conn.execute(text(f"ROLLBACK TO SAVEPOINT {name}"))
            await conn.execute(text(f"RELEASE SAVEPOINT {name}"))
            raise
        await conn.execute(text(f"RELEASE SAVEPOINT {name}"))

    def _insert(self, table: Table) -> Any:
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:  # pragma: no cover - only the two dialects above are supported
            raise RuntimeError(f"no upsert for database dialect {self.dialect}")
        return insert(table)

    def _upsert_statement(self, table: Table) -> Any:
        # Built once per table: a reset runs every one of them.
        key = ("upsert", table.name)
        if key not in self._statements:
            stmt = self._insert(table)
            updatable = {c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key}
            keys = [c.name for c in table.primary_key.columns]
            if updatable:
                stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updatable)
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=keys)
            self._statements[key] = stmt
        return self._statements[key]

    def _insert_missing_statement(self, table: Table) -> Any:
        key = ("insert_missing", table.name)
        if key not in self._statements:
            keys = [c.name for c in table.primary_key.columns]
            self._statements[key] = self._insert(table).on_conflict_do_nothing(index_elements=keys)
        return self._statements[key]

    async def upsert(
        self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert rows, overwriting the rows that share their primary key."""
        if rows:
            await conn.execute(self._upsert_statement(table), list(rows))

    async def insert_missing(
        self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert rows whose primary key is not there yet; leave the others alone."""
        if rows:
            await conn.execute(self._insert_missing_statement(table), list(rows))

    async def restart_counters(self, conn: Connection, tables: Iterable[Table]) -> None:
        """After rows were written with their own ids (a world imported), new ids count on
        from the largest (SQLite does so by itself)."""
        if self.dialect == "postgresql":
            for table in tables:
                await postgres.continue_identities(conn, table, self.schema_name)

    async def clear(self, conn: Connection, tables: Iterable[Table]) -> None:
        """Delete every row, children before parents."""
        for table in reversed(list(tables)):
            key = ("clear", table.name)
            if key not in self._statements:
                self._statements[key] = delete(table)
            await conn.execute(self._statements[key])
            if self.dialect == "postgresql":
                await postgres.restart_identities(conn, table, self.schema_name)
