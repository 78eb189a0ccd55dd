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
