"""The default store: SQLite driven inline, on the event loop's own thread.

SQLAlchemy's synchronous pysqlite driver is called on the loop's thread: a
SQLite statement on a local file takes microseconds, far less than handing it
to a worker thread and back as aiosqlite does (bench/HISTORY.md, "Inline
SQLite"). Three things keep it fast without changing what a statement means:

- Group commit: every `write()` that starts while a transaction is open joins
  it under its own savepoint, and the transaction commits once on the loop's
  next turn; each writer resumes only after that commit, so an answer never
  reports what is not yet durable.
- Checkpoints off the loop: when the WAL is CHECKPOINT_WAL_BYTES long the store
  copies it back into the database file on a thread of its own, instead of
  SQLite doing so inside a COMMIT on the loop.
- Prepared statements: a statement object run a second time with the same
  parameter names runs on the driver directly (prepared.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Connection as SyncConnection
from sqlalchemy import Result, ScalarResult, create_engine, event
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.base import Executable

from token_emulator.core.storage.connection import Connection
from token_emulator.core.storage.prepared import prepare
from token_emulator.core.storage.store import SQLITE_BUSY_TIMEOUT_MS, Store, sqlite_pragmas

# How long the WAL may grow before it is checkpointed (InlineSqliteStore._checkpoint):
# SQLite's own default, 1,000 frames of 4 KiB pages.
CHECKPOINT_WAL_BYTES = 1000 * (4096 + 24)

# How the writer waits for another writer's lock: a bare yield to the loop, then a
# try every millisecond (what asyncio's sleep gives at the least: epoll counts whole
# milliseconds). Another emulator process holds the lock for one turn of its loop,
# a millisecond or two under load, and whoever tries first after it is freed gets
# it: a waiter that had backed off to 5 ms let the other process take it again and
# again, its own requests waiting meanwhile (bench/HISTORY.md, "Writer pauses").
# A lock held longer (another program's transaction) is tried less often
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


class Plans:
    """The statements seen and prepared (prepared.py), shared by every connection of the
    stores that share it: a plan is SQL and conversions, not bound to a connection, so
    a world's new store (core/storage/world_databases.py) runs prepared from its first
    request instead of compiling each statement again.

    Keyed by the statement's id with a weak reference to it, not by the statement:
    one built per call carries its bound values (a web1on1 record, up to the body
    limit), and MAX_SIGHTINGS of them kept alive here held tens of megabytes
    (bench/HISTORY.md, "Statement sightings"). A dead reference, or one to another
    object now at that id, is simply not a match."""

    __slots__ = ("plans", "sightings")

    def __init__(self) -> None:
        self.plans: dict[_PlanKey, tuple[weakref.ref[Any], Any]] = {}
        self.sightings: dict[_PlanKey, tuple[weakref.ref[Any], tuple[str, ...] | None]] = {}


class _Inline:
    """A synchronous connection behind the async interface; each call runs at once.

    A statement object executed a second time with the same parameter names
    is prepared (core/prepared.py) and from then on runs on the driver."""

    __slots__ = ("_plans", "_raw", "_sightings", "_sync")

    def __init__(self, sync: SyncConnection, plans: Plans) -> None:
        self._sync = sync
        self._raw: sqlite3.Connection = sync.connection.dbapi_connection  # type: ignore[assignment]
        self._plans = plans.plans
        self._sightings = plans.sightings

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


class InlineSqliteStore(Store):
    """SQLite on the loop's thread: one writer connection with group commit, one reader."""

    def __init__(self, url: str, plans: Plans | None = None) -> None:
        super().__init__(url)
        self.plans = plans if plans is not None else Plans()
        in_memory = ":memory:" in url or "mode=memory" in url
        options: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
        self._engine = create_engine(url, **options)
        event.listen(self._engine, "connect", sqlite_pragmas)
        # SQLAlchemy begins and commits nothing itself: the store says BEGIN
        # IMMEDIATE (the write lock up front, so a second process waits for it
        # instead of failing a read-to-write upgrade with "database is locked").
        self._writer = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._raw: sqlite3.Connection = self._writer.connection.dbapi_connection  # type: ignore[assignment]
        self._raw.execute("PRAGMA busy_timeout = 0")  # see _when_free
        # Who copies the WAL back into the database file (see _checkpoint); None in memory.
        self._checkpointer: Any = None  # SQLAlchemy's pooled DBAPI connection, once needed
        self._checkpoint_thread: ThreadPoolExecutor | None = None
        self._wal_path: Path | None = None
        self._in_memory = in_memory
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
        self._write_door = _Inline(self._writer, self.plans)
        self._reading = _Handing(_Inline(self._reader, self.plans))
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
        the loop's thread, fsyncs included: the loop stood still for it, with every
        answer of the group waiting (bench/HISTORY.md, "Checkpoints off the loop").
        Here the writers of the group are answered first, reads and everything
        before a write go on, and since no write of ours comes in between, the
        checkpoint catches up and the next transaction starts the WAL afresh (its
        first commit cuts the file).
        PASSIVE: it never waits for another process, whose commits a later
        checkpoint copies."""
        if self._wal_path is None:
            return
        if self._checkpoint_thread is None:
            # Made at the first checkpoint, not at opening: most worlds' stores never
            # need one, and each open connection holds three descriptors.
            # A pooled connection of the engine, held until close: SQLAlchemy opens
            # file databases without check_same_thread, so the checkpoint thread may use it.
            self._checkpointer = self._engine.raw_connection()
            self._checkpoint_thread = ThreadPoolExecutor(1, thread_name_prefix="wal-checkpoint")
        done = self._checkpoint_thread.submit(
            self._checkpointer.driver_connection.execute, "PRAGMA wal_checkpoint(PASSIVE)"
        )
        try:
            await asyncio.wrap_future(done)
        except sqlite3.Error as error:
            # The WAL keeps what it has (nothing is lost) and the next one tries again.
            logging.getLogger("token_emulator").warning("WAL checkpoint failed: %s", error)

    def image(self) -> bytes:
        """The whole database as one image (SQLite's serialize): what a new world's
        database starts from, written to its file or loaded into memory."""
        return self._raw.serialize()

    def load_image(self, image: bytes) -> None:
        """Become the database `image` holds; only in memory, and before any use (a file
        database is made by writing the image to its file instead)."""
        assert self._in_memory and self._batch is None
        self._raw.deserialize(image)
        self.changed()

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
    cost more (bench/HISTORY.md, "Write block as a class")."""

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
