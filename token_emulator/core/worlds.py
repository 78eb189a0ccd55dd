"""The registry of worlds: independent copies of the emulator served by one server.

A world has its own vendor state, clock, faults, run-time fixtures, rate-limit
windows and journal. Requests reach it by a path prefix (request_path/worlds.py):
`/worlds/{name}/uneeq/...`, `/worlds/{name}/_emulator/...`; the paths without
one are the world named "default", the server's own database. Each world is a
database of its own (core/storage/world_databases.py), so no vendor statement
can reach another world's rows.

Which worlds exist is kept in the default world's store (emulator_worlds), so
every process on one database sees the same ones and a kept database keeps them
across restarts. A world is created by `POST /_emulator/worlds` or by the first
request under its prefix; it goes at `DELETE /_emulator/worlds/{name}`, or when
no request reached it for the time to live (by the machine's clock: a world's
own clock may be anywhere). A deletion is marked in the world's own store first,
where every process looks on each request (World.request_reading), so a process
that had it open lets go of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Float, String, Table, Text, delete, select, update
from sqlalchemy.exc import IntegrityError

from token_emulator.core import world_document
from token_emulator.core.fixtures import FixtureError, FixtureModel
from token_emulator.core.instants import real_time
from token_emulator.core.runtime_fixtures import with_document
from token_emulator.core.storage import SERVER_ONLY, Store, metadata
from token_emulator.core.storage.world_databases import WorldDatabases
from token_emulator.core.world import DEFAULT_WORLD, World

# 1 to 63 characters of a-z, 0-9 and "-", starting with a letter or digit: a DNS label,
# so a world's name also fits in a host name or a compose service's.
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
DEFAULT_TTL_SECONDS = 24 * 3600.0
# Worlds whose stores stay open in one process; the least recently used idle one is
# closed beyond it (each open SQLite store holds descriptors) and opened again on its
# next request. Its journal and rate-limit windows stay in memory meanwhile.
DEFAULT_MAX_OPEN = 64
log = logging.getLogger(__name__)

worlds_table = Table(
    "emulator_worlds",
    metadata,
    Column("name", String, primary_key=True),
    Column("database", String, nullable=False),  # its file, or its PostgreSQL schema
    Column("created", Float, nullable=False),  # the machine's time, as last_request
    Column("last_request", Float, nullable=False),
    Column("fixtures", Text, nullable=False),  # JSON: {vendor: document} it was created with
    info=SERVER_ONLY,
)


class WorldExists(Exception):
    pass


class NoSuchWorld(Exception):
    pass


class WorldRefused(Exception):
    """A world cannot be made as asked: a bad name, fixtures or export document."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems


def is_name(name: str) -> bool:
    return NAME.fullmatch(name) is not None


@dataclass
class _Open:
    """What this process holds of a world besides the World: how it was made."""

    world: World
    database: str
    fixtures: dict[str, Any]  # the documents it was created with, per vendor
    created: float
    parked: bool = False


class Worlds:
    """The worlds of one server: the default one, and those made beside it."""

    def __init__(
        self,
        server: World,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_open: int = DEFAULT_MAX_OPEN,
    ) -> None:
        self.server = server
        self.ttl_seconds = ttl_seconds
        self.max_open = max_open
        self._databases = WorldDatabases(server.store)
        self._open: dict[str, _Open] = {}
        self._image: bytes | None = None  # a new world's database, seeded from the files
        self._lock = asyncio.Lock()  # creating, opening and deleting, in this process
        self._started = real_time()
        self._closing: set[asyncio.Task[None]] = set()  # stores closing once idle

    # --- finding a world: the request path's way in ------------------------------------

    def opened(self, name: str) -> World | None:
        """The world if this process has it open and awake: a request's fast way in."""
        held = self._open.get(name)
        return held.world if held is not None and not held.parked else None

    async def find(self, name: str, *, create: bool) -> World | None:
        """The world called `name`, opened here if another process (or an earlier run on
        this database) made it; made from the fixtures if nobody did and `create`."""
        if name == DEFAULT_WORLD:
            return self.server
        if (world := self.opened(name)) is not None:
            return world
        async with self._lock:
            held = self._open.get(name)
            row = await self._row(name) if held is None or held.parked else None
            if held is not None and held.parked:
                if row is not None and row.database == held.database:
                    self._wake(held)
                    return held.world
                # Deleted (and perhaps made anew) by another process while closed here.
                del self._open[name]
                held = None
            if held is not None:
                return held.world
            if row is not None:
                return await self._attach(row)
            if not create:
                return None
            return await self._make(name, {}, None)

    def forget(self, world: World) -> None:
        """Another process deleted the world: let go of it here (its store closes once no
        request is inside it)."""
        held = self._open.get(world.name)
        if held is not None and held.world is world:
            del self._open[world.name]
            if not held.parked:
                self._close_when_idle(world)

    def _close_when_idle(self, world: World, then: Any = None) -> None:
        """Close the world's store once the requests inside it have ended (then await
        `then()`, the removal of its database), in a task this registry keeps."""

        async def closing() -> None:
            await world.until_idle()
            await world.close()
            if then is not None:
                await then()

        task = asyncio.get_running_loop().create_task(closing())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # --- the control plane's calls -------------------------------------------------------

    async def create(
        self,
        name: str | None = None,
        *,
        fixtures: Mapping[str, Any] | None = None,
        copy_of: str | None = None,
        document: Any = None,
    ) -> World:
        """A new world: seeded from the server's fixtures, with `fixtures` added (and kept
        across its resets), or a copy of world `copy_of`, or what an export `document`
        holds. WorldExists, NoSuchWorld (`copy_of`), WorldRefused."""
        if name is not None and not is_name(name):
            raise WorldRefused(_name_problem(name))
        if sum(given is not None for given in (fixtures, copy_of, document)) > 1:
            raise WorldRefused('give at most one of "fixtures", "copy_of" and "import"')
        if copy_of is not None:
            source = await self.find(copy_of, create=False) if is_name(copy_of) else None
            if source is None:
                raise NoSuchWorld(copy_of)
            source.enter()  # read now: its store is not to be closed meanwhile
            try:
                document = await self.export(source)
            finally:
                source.leave()
        given: Mapping[str, Any] = fixtures or {}
        if document is not None:
            try:
                given = world_document.check(document)
            except world_document.DocumentProblem as problem:
                raise WorldRefused(f"import: {problem}") from None
        async with self._lock:
            name = name or await self._unused_name()
            if name == DEFAULT_WORLD or name in self._open or await self._row(name):
                raise WorldExists(name)
            world = await self._make(name, dict(given), document)
        return world

    async def delete(self, name: str) -> None:
        """The world and every row of it; NoSuchWorld. The default world is reset, never
        deleted (WorldRefused)."""
        if name == DEFAULT_WORLD:
            raise WorldRefused("the default world cannot be deleted: reset it instead")
        async with self._lock:
            held = self._open.pop(name, None)
            row = await self._row(name)
            if held is None and row is None:
                raise NoSuchWorld(name)
            if held is None:
                held = await self._held_for(row)
            elif held.parked:
                self._wake(held)
            await self._remove(held)

    async def export(self, world: World) -> dict[str, Any]:
        held = self._open.get(world.name)
        given = held.fixtures if held is not None else {}
        return await world_document.export(world, given)

    async def listing(self) -> list[dict[str, Any]]:
        """Every world on the database: name, created, last request (the machine's time),
        and what this process knows of it: whether open here, its journal's length."""
        async with self.server.store.read() as conn:
            rows = (await conn.execute(select(worlds_table).order_by(worlds_table.c.name))).all()
        listed = [self._described(DEFAULT_WORLD, self._started, self.server, None)]
        for row in rows:
            held = self._open.get(row.name)
            last = max(row.last_request, held.world.last_request if held else 0.0)
            world = held.world if held is not None else None
            listed.append(self._described(row.name, row.created, world, last))
        return listed

    def given_fixtures(self, world: World) -> dict[str, Any]:
        held = self._open.get(world.name)
        return held.fixtures if held is not None else {}

    # --- upkeep: once in a while, from the lifespan --------------------------------------

    async def upkeep(self, now: float | None = None) -> list[str]:
        """Write down when each open world was last asked, then delete the worlds no
        process asked within the time to live (by the machine's clock `now`); their names."""
        now = real_time() if now is None else now
        async with self.server.store.write() as conn:
            for name, held in list(self._open.items()):  # awaits below: others may add
                last = held.world.last_request
                if last:
                    await conn.execute(
                        update(worlds_table)
                        .where(worlds_table.c.name == name, worlds_table.c.last_request < last)
                        .values(last_request=last)
                    )
        horizon = now - self.ttl_seconds
        async with self.server.store.read() as conn:
            query = select(worlds_table.c.name).where(worlds_table.c.last_request < horizon)
            stale = list(await conn.scalars(query))
        removed = []
        for name in stale:
            here = self._open.get(name)
            if here is not None and (here.world.in_flight or here.world.last_request >= horizon):
                continue
            try:
                await self.delete(name)
            except NoSuchWorld:
                continue  # another process removed it first
            removed.append(name)
        await self._park_idle()
        return removed

    async def close(self) -> None:
        opened, self._open = list(self._open.values()), {}
        for held in opened:
            if not held.parked:
                await held.world.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # --- inside ---------------------------------------------------------------------------

    def _described(
        self, name: str, created: float, world: World | None, last: float | None
    ) -> dict[str, Any]:
        from token_emulator.core.instants import isoformat

        if world is not None and last is None:
            last = world.last_request or None
        return {
            "name": name,
            "created": isoformat(created),
            "last_request": isoformat(last) if last else None,
            "open_here": world is not None,
            "requests": len(world.journal.entries()) if world is not None else 0,
        }

    async def _row(self, name: str) -> Any:
        async with self.server.store.read() as conn:
            query = select(worlds_table).where(worlds_table.c.name == name)
            return (await conn.execute(query)).one_or_none()

    async def _unused_name(self) -> str:
        while True:
            name = f"world-{secrets.token_hex(4)}"
            if name not in self._open and await self._row(name) is None:
                return name

    def _fixtures_of(self, name: str, given: Mapping[str, Any]) -> dict[str, FixtureModel]:
        """The server's fixtures with the documents a world was created with."""
        fixtures = dict(self.server.fixtures)
        unknown = sorted(set(given) - set(fixtures))
        if unknown:
            raise WorldRefused(f"fixtures: no vendor {unknown[0][:40]!r} is served here")
        for vendor_id, data in given.items():
            vendor = self.server.vendor(vendor_id)
            assert vendor is not None
            source = f"{vendor.fixture_file} (given to world {name})"
            fixtures[vendor_id] = with_document(vendor, fixtures[vendor_id], data, source)
        return fixtures

    async def _seeded_image(self, fixtures: dict[str, FixtureModel]) -> bytes:
        """A SQLite database with every table, seeded from `fixtures`, as one image."""
        store = self._databases.image_store()
        seeded = World.beside(self.server, "image", store, fixtures)
        try:
            await seeded.bring_up()
        except BaseException:
            await store.close()
            raise
        return await self._databases.image_of(store)

    async def _make(self, name: str, given: dict[str, Any], document: Any) -> World:
        try:
            fixtures = self._fixtures_of(name, given)
        except FixtureError as error:
            raise WorldRefused(
                "fixtures rejected", [str(problem) for problem in error.problems]
            ) from None
        image = None
        if self._databases.takes_images:
            if given:
                image = await self._seeded_image(fixtures)
            else:
                if self._image is None:
                    self._image = await self._seeded_image(fixtures)
                image = self._image
        database = self._databases.new_name(name)
        store = await self._databases.create(database, image)
        world = World.beside(self.server, name, store, fixtures)
        try:
            if image is None:
                await world.bring_up()  # PostgreSQL: tables made and seeded in its schema
            else:
                world.observe(await world.clock.read())
            if document is not None:
                await world_document.load(world, document)
            now = real_time()
            async with self.server.store.write() as conn:
                row = {
                    "name": name,
                    "database": database,
                    "created": now,
                    "last_request": now,
                    "fixtures": json.dumps(given),
                }
                await conn.execute(worlds_table.insert().values(**row))
        except BaseException as error:
            await store.close()
            await self._databases.remove(database, store)
            if isinstance(error, IntegrityError):
                raise WorldExists(name) from None  # another process made it meanwhile
            if isinstance(error, world_document.DocumentProblem):
                raise WorldRefused(f"import: {error}") from None
            raise
        world.last_request = now
        self._open[name] = _Open(world, database, given, now)
        await self._park_idle()
        return world

    async def _held_for(self, row: Any) -> _Open:
        """A world another process made (or an earlier run), opened here."""
        given = json.loads(row.fixtures)
        try:
            fixtures = self._fixtures_of(row.name, given)
        except (FixtureError, WorldRefused) as error:
            # The fixture files changed since the world was made with fixtures of its own,
            # and these no longer fit them: it is served on the files alone.
            problems = error.problems if isinstance(error, FixtureError) else [str(error)]
            log.warning(
                "world %s: the fixtures it was made with no longer fit the files, so it "
                "is served on the files alone: %s",
                row.name,
                "; ".join(str(problem) for problem in problems or []),
            )
            fixtures = dict(self.server.fixtures)
        store = self._databases.open(row.database)
        world = World.beside(self.server, row.name, store, fixtures)
        try:
            await world.bring_up()
        except BaseException:
            await store.close()
            raise
        return _Open(world, row.database, given, row.created)

    async def _attach(self, row: Any) -> World:
        held = await self._held_for(row)
        held.world.last_request = real_time()
        self._open[row.name] = held
        await self._park_idle()
        return held.world

    async def _remove(self, held: _Open) -> None:
        """Out of the list, marked deleted for every process, and its store closed and its
        database dropped once the requests inside it here have ended (at once, mostly)."""
        world = held.world
        async with self.server.store.write() as conn:
            await conn.execute(delete(worlds_table).where(worlds_table.c.name == world.name))
        await world.retire()
        store: Store = world.store

        async def drop() -> None:
            await self._databases.remove(held.database, store)

        if world.in_flight:
            self._close_when_idle(world, drop)
        else:
            await world.close()
            await drop()

    def _wake(self, held: _Open) -> None:
        held.world.use_store(self._databases.open(held.database))
        held.parked = False

    async def _park_idle(self) -> None:
        """Close the stores of the least recently used idle worlds beyond max_open."""
        if not self._databases.parkable:
            return
        awake = [held for held in self._open.values() if not held.parked]
        over = len(awake) - self.max_open
        if over <= 0:
            return
        idle = sorted(
            (held for held in awake if not held.world.in_flight),
            key=lambda held: held.world.last_request,
        )
        for held in idle[:over]:
            held.parked = True
            await held.world.store.close()


def _name_problem(name: str) -> str:
    shown = name[:70].encode("ascii", "backslashreplace").decode()
    return (
        f"world name {shown!r}: 1 to 63 characters of a-z, 0-9 and '-', starting with a "
        "letter or digit"
    )
