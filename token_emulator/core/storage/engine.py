"""SQLAlchemy's async engine behind the store's door: PostgreSQL (asyncpg), or SQLite
through aiosqlite when a `sqlite+aiosqlite://` URL asks for it.

One transaction per `write()`. On PostgreSQL several replicas may share one
database; what it needs besides is in postgres.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateSchema, DropSchema

from token_emulator.core.storage import postgres
from token_emulator.core.storage.connection import Connection
from token_emulator.core.storage.store import Store, sqlite_pragmas

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


class AsyncEngineStore(Store):
    """SQLAlchemy's async engine: PostgreSQL (asyncpg), or SQLite through aiosqlite."""

    def __init__(self, url: str) -> None:
        # Imported here: SQLAlchemy's asyncio extension pulls in the ORM, which the
        # default SQLite store never needs (bench/HISTORY.md, "Async engine").
        from sqlalchemy.ext.asyncio import create_async_engine

        super().__init__(url)
        in_memory = self.dialect == "sqlite" and ":memory:" in url
        options: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
        elif self.dialect == "postgresql":
            event.listen(self.engine.sync_engine, "connect", postgres.text_codecs)
        self._in_memory = in_memory
        # SQLite takes one writer at a time: queueing our own writers here keeps
        # them out of SQLite's sleeping busy handler (and, in memory, keeps two
        # tasks' transactions on the one connection from interleaving).
        self._lock: asyncio.Lock | None = asyncio.Lock() if self.dialect == "sqlite" else None
        self._owns_engine = True

    def in_schema(self, schema: str) -> AsyncEngineStore:
        """A store on this one's engine whose tables are those of PostgreSQL schema
        `schema` (a world's, core/storage/world_databases.py): the same statements,
        each table name read in that schema."""
        child = AsyncEngineStore.__new__(AsyncEngineStore)
        Store.__init__(child, self.url)
        child.engine = self.engine
        child._in_memory = False
        child._lock = None
        child._owns_engine = False
        child.schema_name = schema
        return child

    async def make_schema(self) -> None:
        """Create this store's schema, if it has one of its own."""
        if self.schema_name is not None:
            async with self.engine.begin() as conn:
                await conn.execute(CreateSchema(self.schema_name, if_not_exists=True))

    async def drop_schema(self, schema: str) -> None:
        """Drop a world's schema with every table in it."""
        async with self.engine.begin() as conn:
            await conn.execute(DropSchema(schema, cascade=True, if_exists=True))

    async def _connection(self, conn: Any) -> Any:
        if self.schema_name is None:
            return conn
        return await conn.execution_options(schema_translate_map={None: self.schema_name})

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        if self._in_memory and self._lock is not None:
            async with self._lock, self.engine.connect() as conn:
                yield conn
        else:
            async with self.engine.connect() as conn:
                yield await self._connection(conn)

    @contextlib.asynccontextmanager
    async def write(self, *, exclusive: bool = False) -> AsyncIterator[Connection]:
        if self._lock is not None:
            async with self._lock, self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.begin() as conn:
                conn = await self._connection(conn)
                if self.dialect == "postgresql":
                    await postgres.write_lock(conn, exclusive, self.schema_name)
                yield conn

    async def close(self) -> None:
        if self._owns_engine:
            await self.engine.dispose()
