"""Where each world's database lives, beside the server's (core/worlds.py).

A world is a database of its own, so no statement of a vendor can reach the
rows of another world:

- the server on a SQLite file `X`: a file per world in the directory `X.worlds/`;
- the server in memory (tests): a memory database per world;
- the server on PostgreSQL: a schema per world in the same database, so every
  replica sees the same worlds.

A new SQLite world starts as an image of a seeded database (written to its
file, or loaded into memory) instead of being made table by table; PostgreSQL
makes its tables and is seeded. Each incarnation of a world has a database of
its own name (`name-<random>`), so deleting a world never removes the database
of one created anew under its name meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from token_emulator.core.storage.engine import AsyncEngineStore
from token_emulator.core.storage.inline_sqlite import InlineSqliteStore, Plans
from token_emulator.core.storage.opening import open_store
from token_emulator.core.storage.store import Store

SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class WorldDatabases:
    """The databases of the worlds of one server, by the server's store."""

    def __init__(self, server: Store) -> None:
        self._server = server
        self._directory: Path | None = None
        self._driver = ""
        self.in_memory = False
        self.on_postgres = server.dialect == "postgresql"
        # Every SQLite world runs the statements the server's store prepared (inline_sqlite.py).
        self._plans = server.plans if isinstance(server, InlineSqliteStore) else Plans()
        if server.dialect == "sqlite":
            url = make_url(server.url)
            self._driver = url.drivername
            file = url.database or ""
            if file in ("", ":memory:") or "mode=memory" in server.url:
                self.in_memory = True
            else:
                self._directory = Path(file + ".worlds")

    @property
    def takes_images(self) -> bool:
        """A new world's database is written from an image (SQLite), not made and seeded."""
        return not self.on_postgres

    @property
    def parkable(self) -> bool:
        """A world's store may be closed while idle and opened again (not in memory)."""
        return not self.in_memory

    def image_store(self) -> Store:
        """A store to seed a new world's image in (image_of): in memory for worlds in
        memory; a scratch file for worlds in files, so the image is a WAL database as
        theirs are (turning a new file to WAL at its first opening costs a write)."""
        if self._directory is None:
            return InlineSqliteStore("sqlite+pysqlite:///:memory:", self._plans)
        self._directory.mkdir(parents=True, exist_ok=True)
        scratch = self._directory / f".image-{secrets.token_hex(4)}.sqlite3"
        return InlineSqliteStore(f"sqlite+pysqlite:///{scratch}", self._plans)

    async def image_of(self, store: Store) -> bytes:
        """The seeded database of an image_store(), as bytes; the store is closed."""
        assert isinstance(store, InlineSqliteStore)
        if self._directory is None:
            image = store.image()
            await store.close()
            return image
        file = Path(make_url(store.url).database or "")
        await store.close()  # the last connection out copies the WAL into the file
        try:
            return file.read_bytes()  # noqa: ASYNC240 - once a process; SQLite is on the loop too
        finally:
            for suffix in SQLITE_SUFFIXES:
                with contextlib.suppress(FileNotFoundError):
                    file.with_name(file.name + suffix).unlink()

    def new_name(self, world: str) -> str:
        """The name of a new incarnation's database: a file name, or a schema's."""
        if self.on_postgres:
            # PostgreSQL names are at most 63 bytes; a world's name alone may be.
            digest = hashlib.blake2b(world.encode(), digest_size=8).hexdigest()
            return f"world_{digest}_{secrets.token_hex(4)}"
        return f"{world}-{secrets.token_hex(4)}.sqlite3"

    async def create(self, database: str, image: bytes | None) -> Store:
        """A new world's store; `image` (SQLite) is what its database starts as. The
        file is written whole under a temporary name and then renamed, so another
        process never opens it half written."""
        if self.on_postgres:
            assert isinstance(self._server, AsyncEngineStore)
            schema = self._server.in_schema(database)
            await schema.make_schema()
            return schema
        if self.in_memory:
            store = InlineSqliteStore("sqlite+pysqlite:///:memory:", self._plans)
            if image is not None:
                store.load_image(image)
            return store
        path = self._path(database)
        if image is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            staged = path.with_name(path.name + ".new")
            staged.write_bytes(image)
            os.replace(staged, path)
        return self.open(database)

    def open(self, database: str) -> Store:
        """The store of a world this or another process created."""
        if self.on_postgres:
            assert isinstance(self._server, AsyncEngineStore)
            return self._server.in_schema(database)
        if self.in_memory:
            raise LookupError("a memory database cannot be opened again")
        url = f"{self._driver}:///{self._path(database)}"
        if self._driver == "sqlite+pysqlite":
            return InlineSqliteStore(url, self._plans)
        return open_store(url)

    async def remove(self, database: str, store: Store) -> None:
        """Drop a deleted world's database; its store is closed already."""
        if self.on_postgres:
            assert isinstance(self._server, AsyncEngineStore)
            await self._server.drop_schema(database)
            return
        if self.in_memory:
            return
        path = self._path(database)
        for suffix in SQLITE_SUFFIXES:
            with contextlib.suppress(FileNotFoundError):
                path.with_name(path.name + suffix).unlink()

    def _path(self, database: str) -> Path:
        assert self._directory is not None
        return self._directory / database
