"""The store: the shared metadata, one door to persistent state, two ways to drive it.

Every table of every vendor hangs off `metadata`, so migrating and resetting
are one loop over it. Vendors talk to the store only through `read()` and
`write()` and `await conn.execute(statement)`, whatever the database:

- SQLite (the default) runs *inline*: SQLAlchemy's synchronous pysqlite
  driver called on the event loop's own thread. A SQLite statement on a local
  file takes microseconds, far less than handing it to a worker thread and
  back (aiosqlite measured ~300 µs a statement here against ~16 µs inline).
  Writes are grouped: every `write()` that starts while a transaction is
  open joins it under its own savepoint, and the transaction commits once on
  the loop's next turn; each writer resumes only after that commit, so an
  answer never reports what is not yet durable. When the WAL is
  CHECKPOINT_WAL_BYTES long the store copies it back into the database file
  on a thread of its own, instead of SQLite doing so inside a COMMIT on the loop.
- Any other URL (`postgresql+asyncpg://`, or `sqlite+aiosqlite://` typed out)
  runs on SQLAlchemy's async engine, one transaction per `write()`. On
  PostgreSQL several replicas may share one database; what it needs besides
  is in `core/postgres.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    BigInteger,
    Integer,
    MetaData,
    Result,
    ScalarResult,
    Table,
    create_engine,
    delete,
    event,
    text,
)
from sqlalchemy import Connection as SyncConnection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.base import Executable

from token_emulator.core import postgres
from token_emulator.core.prepared import prepare

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

metadata = MetaData()

# The type of a counting id that a request may name: 64-bit, as SQLite's integers
# are (PostgreSQL's INTEGER is 32-bit); SQLite counts only on INTEGER PRIMARY KEY.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

# Long enough that a second process's write (always a short transaction)
# finishes before we give up; SQLite's busy handler retries.
SQLITE_BUSY_TIMEOUT_MS = 10_000


class Connection(Protocol):
    """What `read()` and `write()` hand out: SQLAlchemy's AsyncConnection has this shape."""

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]: ...

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]: ...


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


# How long the WAL may grow before it is checkpointed (InlineSqliteStore._checkpoint):
# SQLite's own default, 1,000 frames of 4 KiB pages.
CHECKPOINT_WAL_BYTES = 1000 * (4096 + 24)

# How the writer waits for another writer's lock: a bare yield to the loop, then a
# try every millisecond (what asyncio's sleep gives at the least: epoll counts whole
# milliseconds). Another emulator process holds the lock for one turn of its loop,
# a millisecond or two under load, and whoever tries first after it is freed gets
# it: a waiter that had backed off to 5 ms let the other process take it again and
# again, its own requests waiting meanwhile (two processes under wrk, two A/B runs:
# ~3 % more requests a second, -0.4 to +8 % by vendor, than with pauses doubling up
# to 5 ms). A lock held longer (another program's transaction) is tried less often
# after 20 ms, the pause doubling up to 5 ms. Both limits, and the busy timeout,
# count the time that passed.
MIN_WRITER_PAUSE = 0.001
MAX_WRITER_PAUSE = 0.005
SHORT_HOLD_SECONDS = 0.02


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, 5) or (
        "locked" in str(error)
    )


# Statements seen once, remembered until the second sighting prepares them; a
# statement built per call is never seen twice, so this is bounded and cleared.
MAX_SIGHTINGS = 1024
_UNPREPARABLE = object()
_NO_PARAMETERS: dict[str, Any] = {}
# A statement object's id and the names of the parameters it is run with.
_PlanKey = tuple[int, tuple[str, ...]]


class _Inline:
    """A synchronous connection behind the async interface; each call runs at once.

    A statement object executed a second time with the same parameter names
    is prepared (core/prepared.py) and from then on runs on the driver."""

    __slots__ = ("_plans", "_raw", "_sightings", "_sync")

    def __init__(self, sync: SyncConnection) -> None:
        self._sync = sync
        self._raw: sqlite3.Connection = sync.connection.dbapi_connection  # type: ignore[assignment]
        # Keyed by the statement's id with a weak reference to it, not by the statement:
        # one built per call carries its bound values (a web1on1 record, up to the body
        # limit), and up to MAX_SIGHTINGS of them kept alive here held ~60 MB. A dead
        # reference, or one to another object now at that id, is simply not a match.
        self._plans: dict[_PlanKey, tuple[weakref.ref[Any], Any]] = {}
        self._sightings: dict[_PlanKey, tuple[weakref.ref[Any], tuple[str, ...] | None]] = {}

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        if parameters is None:
            parameters = _NO_PARAMETERS
        elif type(parameters) is not dict:
            return self._sync.execute(statement, parameters)  # many rows: SQLAlchemy's way
        key = (id(statement), tuple(parameters))
        planned = self._plans.get(key)
        if planned is not None and planned[0]() is statement:
            plan = planned[1]
            if plan is not _UNPREPARABLE:
                return plan.run(self._raw, parameters)
        else:
            plan = None
        # Not buffered (buffering cost more than the statement): every caller
        # reads its rows before it next awaits, and a result read to its end,
        # or dropped, resets its SQLite statement at once.
        result = self._sync.execute(statement, parameters or None)
        if plan is None:
            self._sighted(statement, key, tuple(result.keys()) if result.returns_rows else None)
        return result

    def _sighted(
        self, statement: Executable, key: _PlanKey, row_keys: tuple[str, ...] | None
    ) -> None:
        seen = self._sightings.get(key)
        if seen is None or seen[0]() is not statement:
            if len(self._sightings) >= MAX_SIGHTINGS:
                self._sightings.clear()
            self._sightings[key] = (weakref.ref(statement), row_keys)
            return
        del self._sightings[key]
        if seen[1] != row_keys:
            return  # not the same rows twice: leave it to SQLAlchemy
        plan = prepare(statement, key[1], row_keys, self._sync.dialect)
        if len(self._plans) >= MAX_SIGHTINGS:
            self._plans.clear()  # statements built per call and run twice in it
        # A plan holds the values fixed in its statement (`.values(record=...)`), so
        # it goes with the statement; a sighting holds only row keys and may linger.
        plans = self._plans

        def forget(dead: weakref.ref[Any]) -> None:
            if (planned := plans.get(key)) is not None and planned[0] is dead:
                del plans[key]

        plans[key] = (weakref.ref(statement, forget), plan if plan is not None else _UNPREPARABLE)

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]:
        return (await self.execute(statement, parameters)).scalars()


class _Handing(contextlib.AbstractAsyncContextManager[Connection]):
    """`async with` that hands out one connection as it is (cheaper than a generator)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def __aenter__(self) -> Connection:
        return self._conn

    async def __aexit__(self, *_exc: object) -> None:
        return None


class Store:
    """The one door to persistent state."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = url.split("://", 1)[0].split("+", 1)[0]
        self._statements: dict[tuple[str, str], Any] = {}
        self._local_changes = 0

    def changed(self) -> None:
        """Say that this process changed what requests read and remember: the clock,
        the faults, the fixtures (a reset, fixtures added at run time)."""
        self._local_changes += 1

    def change_stamp(self) -> tuple[int, int] | None:
        """Equal stamps mean nobody changed the clock, the faults or the fixtures in
        between; None when the store cannot tell, and they must be read every time."""
        return None

    @staticmethod
    def open(url: str) -> Store:
        if url.startswith(("sqlite+pysqlite://", "sqlite://")):
            return InlineSqliteStore(url)
        return AsyncEngineStore(url)

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

    async def clear(self, conn: Connection, tables: Iterable[Table]) -> None:
        """Delete every row, children before parents."""
        for table in reversed(list(tables)):
            key = ("clear", table.name)
            if key not in self._statements:
                self._statements[key] = delete(table)
            await conn.execute(self._statements[key])
            if self.dialect == "postgresql":
                await postgres.restart_identities(conn, table)


class InlineSqliteStore(Store):
    """SQLite on the loop's thread: one writer connection with group commit, one reader."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        in_memory = ":memory:" in url or "mode=memory" in url
        options: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
        self._engine = create_engine(url, **options)
        event.listen(self._engine, "connect", _sqlite_pragmas)
        # SQLAlchemy begins and commits nothing itself: the store says BEGIN
        # IMMEDIATE (the write lock up front, so a second process waits for it
        # instead of failing a read-to-write upgrade with "database is locked").
        self._writer = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._raw: sqlite3.Connection = self._writer.connection.dbapi_connection  # type: ignore[assignment]
        self._raw.execute("PRAGMA busy_timeout = 0")  # see _when_free
        # Who copies the WAL back into the database file (see _checkpoint); None in memory.
        self._checkpointer: Any = None  # SQLAlchemy's pooled DBAPI connection
        self._checkpoint_thread: ThreadPoolExecutor | None = None
        self._wal_path: Path | None = None
        if in_memory:
            # One database per connection: the reader must be the writer.
            self._reader = self._writer
        else:
            self._reader = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._reader.exec_driver_sql("PRAGMA query_only = ON")
            self._raw.execute("PRAGMA wal_autocheckpoint = 0")
            # A WAL started afresh is cut to what its first commit wrote, so the
            # file's size tells how long the WAL is (see _commit). (A process that
            # does not cut it leaves the file long: checkpoints with nothing to copy
            # then follow every commit, without an fsync.)
            self._raw.execute("PRAGMA journal_size_limit = 0")
            database_file = self._raw.execute("PRAGMA database_list").fetchone()[2]
            self._wal_path = Path(database_file + "-wal")
            # A pooled connection of the engine, held until close: SQLAlchemy opens
            # file databases without check_same_thread, so the checkpoint thread may use it.
            self._checkpointer = self._engine.raw_connection()
            self._checkpoint_thread = ThreadPoolExecutor(1, thread_name_prefix="wal-checkpoint")
        self._write_door = _Inline(self._writer)
        self._reading = _Handing(_Inline(self._reader))
        self._job_lock = asyncio.Lock()  # one writer's block at a time
        # The open transaction: a future per writer in it, answered by its commit.
        self._batch: list[asyncio.Future[None]] | None = None
        self._flusher: asyncio.Task[None] | None = None

    def change_stamp(self) -> tuple[int, int] | None:
        # data_version moves when another connection (another process) commits;
        # asked of the writer, whose own commits it does not count, and paired
        # with this process's own changes (see changed()).
        outside: int = self._raw.execute("PRAGMA data_version").fetchone()[0]
        return outside, self._local_changes

    def read(self) -> contextlib.AbstractAsyncContextManager[Connection]:
        # The reader is always there to hand out: nothing to set up or tear down.
        return self._reading

    def write(
        self, *, exclusive: bool = False
    ) -> contextlib.AbstractAsyncContextManager[Connection]:
        return _WriteBlock(self)

    def _undo_job(self) -> None:
        try:
            self._raw.execute("ROLLBACK TO job")
            self._raw.execute("RELEASE job")
        except sqlite3.Error as error:
            # SQLite rolled the whole transaction back itself (disk full, I/O
            # error): every job of the group is lost, and each writer hears so.
            if self._raw.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._raw.execute("ROLLBACK")
            _answer(self._batch, error)
            self._batch = None

    async def _when_free(self, sql: str) -> None:
        """Run BEGIN IMMEDIATE or COMMIT, waiting for another writer by sleeping on the loop.

        SQLite's own busy handler would sleep on the loop's thread, so a second
        store on this loop (two apps on one file in one process) could never
        commit and free the lock; the writer's busy_timeout is 0 and we wait here.
        """
        clock: Callable[[], float] | None = None
        began = 0.0
        pause = 0.0
        while True:
            try:
                self._raw.execute(sql)
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                if clock is None:  # the first refusal: the wait begins (nothing to time before)
                    clock = asyncio.get_running_loop().time
                    began = clock()
                waited = clock() - began
                if waited >= SQLITE_BUSY_TIMEOUT_MS / 1000:
                    raise
            await asyncio.sleep(pause)
            if waited < SHORT_HOLD_SECONDS:
                pause = MIN_WRITER_PAUSE
            else:
                pause = min(MAX_WRITER_PAUSE, pause * 2)

    async def _commit(self) -> None:
        async with self._job_lock:
            batch, self._batch = self._batch, None
            if batch is None:
                return
            try:
                await self._when_free("COMMIT")
            except sqlite3.Error as error:
                with contextlib.suppress(sqlite3.Error):
                    self._raw.execute("ROLLBACK")
                _answer(batch, error)
                return
            _answer(batch, None)
            # SQLite's own policy: a checkpoint after every commit while the WAL is
            # long. One process restarts the WAL after the first; with another process
            # writing meanwhile, checkpoints that keep up let a later write restart it.
            if self._wal_bytes() >= CHECKPOINT_WAL_BYTES:
                await self._checkpoint()

    def _wal_bytes(self) -> int:
        """The WAL file's size; 0 in memory, or if the file cannot be read (the next
        commit asks again: the group was answered, and must not hear of it)."""
        if self._wal_path is None:
            return 0
        try:
            return self._wal_path.stat().st_size
        except OSError:
            return 0

    async def _checkpoint(self) -> None:
        """Copy the WAL back into the database file, on a thread, while this process's
        writers wait for the write lock (held by the caller): while the WAL is
        CHECKPOINT_WAL_BYTES or longer, as SQLite's own automatic checkpoint does.

        SQLite's automatic checkpoint (every 1,000 WAL pages) ran inside a COMMIT on
        the loop's thread, fsyncs included: the loop stood still ~7 ms every few
        dozen commits, with every answer of the group waiting. Here the writers of
        the group are answered first, reads and everything before a write go on,
        and since no write of ours comes in between, the checkpoint catches up and
        the next transaction starts the WAL afresh (its first commit cuts the file).
        PASSIVE: it never waits for another process, whose commits a later
        checkpoint copies."""
        if self._checkpointer is None or self._checkpoint_thread is None:
            return
        done = self._checkpoint_thread.submit(
            self._checkpointer.driver_connection.execute, "PRAGMA wal_checkpoint(PASSIVE)"
        )
        try:
            await asyncio.wrap_future(done)
        except sqlite3.Error as error:
            # The WAL keeps what it has (nothing is lost) and the next one tries again.
            logging.getLogger("token_emulator").warning("WAL checkpoint failed: %s", error)

    async def close(self) -> None:
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
        if self._checkpoint_thread is not None:
            self._checkpoint_thread.shutdown(wait=True)  # a checkpoint under way ends first
        if self._checkpointer is not None:
            self._checkpointer.close()  # back to the pool, which dispose() empties
        self._reader.close()
        self._writer.close()
        self._engine.dispose()


def _answer(waiters: list[asyncio.Future[None]] | None, error: BaseException | None) -> None:
    """Tell each writer of a group how its commit went (one that stopped waiting, no more)."""
    for waiter in waiters or ():
        if not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)


class _WriteBlock(contextlib.AbstractAsyncContextManager[Connection]):
    """One `write()` block of the inline store: joins (or begins) the open transaction
    under its own savepoint; leaving it waits for the group's commit.

    A class rather than a generator: entering and leaving a generator-based context
    cost a tenth of a redemption."""

    __slots__ = ("_committed", "_store")

    def __init__(self, store: InlineSqliteStore) -> None:
        self._store = store

    async def __aenter__(self) -> Connection:
        store = self._store
        await store._job_lock.acquire()  # one writer's block at a time
        try:
            if store._batch is None:
                await store._when_free("BEGIN IMMEDIATE")
                store._batch = []
                # Runs after every task already ready on this turn of the loop:
                # those that reach write() meanwhile join this transaction.
                store._flusher = asyncio.get_running_loop().create_task(store._commit())
            self._committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            store._batch.append(self._committed)
            store._raw.execute("SAVEPOINT job")
        except BaseException:
            store._job_lock.release()
            raise
        return store._write_door

    async def __aexit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        store = self._store
        try:
            if exc_type is not None:
                self._abandon()
                return
            try:
                store._raw.execute("RELEASE job")
            except sqlite3.Error:
                # Only an I/O failure makes RELEASE fail: this block's writes are undone
                # (or the whole group's, which hears so) rather than committed unseen.
                self._abandon()
                raise
        finally:
            store._job_lock.release()
        # Answer only once the group's commit is on disk; a writer cancelled here
        # stops waiting, the others do not notice.
        await self._committed

    def _abandon(self) -> None:
        self._committed.cancel()  # nobody waits for this block's commit
        self._store._undo_job()


class AsyncEngineStore(Store):
    """SQLAlchemy's async engine: PostgreSQL (asyncpg), or SQLite through aiosqlite."""

    def __init__(self, url: str) -> None:
        # Imported here: SQLAlchemy's asyncio extension pulls in the ORM, a tenth
        # of a second of every start that the default SQLite store never needs.
        from sqlalchemy.ext.asyncio import create_async_engine

        super().__init__(url)
        in_memory = self.dialect == "sqlite" and ":memory:" in url
        options: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        elif self.dialect == "postgresql":
            event.listen(self.engine.sync_engine, "connect", postgres.text_codecs)
        self._in_memory = in_memory
        # SQLite takes one writer at a time: queueing our own writers here keeps
        # them out of SQLite's sleeping busy handler (and, in memory, keeps two
        # tasks' transactions on the one connection from interleaving).
        self._lock: asyncio.Lock | None = asyncio.Lock() if self.dialect == "sqlite" else None

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        if self._in_memory and self._lock is not None:
            async with self._lock, self.engine.connect() as conn:
                yield conn
        else:
            async with self.engine.connect() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def write(self, *, exclusive: bool = False) -> AsyncIterator[Connection]:
        if self._lock is not None:
            async with self._lock, self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    await postgres.write_lock(conn, exclusive)
                yield conn

    async def close(self) -> None:
        await self.engine.dispose()
