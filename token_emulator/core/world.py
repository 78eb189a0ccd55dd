"""The world a request sees: store, clock, journal, fixtures and the vendors.

Built once per app in the lifespan and reached through `request.state.world`,
never through module globals. It is told what to open (a database, a fixture
directory); the settings those come from are the app factory's business.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request

from token_emulator.core import admin_sessions, applied_fixtures, runtime_fixtures
from token_emulator.core.applied_fixtures import FixtureChanges
from token_emulator.core.clock import Clock, ClockReading, clock_table, reading_of
from token_emulator.core.errors import one_line
from token_emulator.core.faults import faults
from token_emulator.core.fixtures import FixtureConflict, FixtureModel, load_directory
from token_emulator.core.journal import DEFAULT_BODY_LIMIT, DEFAULT_MAX_BYTES, Journal
from token_emulator.core.locks import KeyedLocks
from token_emulator.core.ratelimit import RateLimiter
from token_emulator.core.runtime_fixtures import added_entries, added_fixtures
from token_emulator.core.scope_keys import NOW_KEY
from token_emulator.core.signing import SigningSecrets
from token_emulator.core.storage import (
    Connection,
    Store,
    database_url,
    describe_database,
    open_store,
)
from token_emulator.core.storage.schema import SchemaOutcome, bring_up_to_date
from token_emulator.core.storage.temporary import TemporaryDatabase
from token_emulator.core.vendor import Vendor

# The world of the paths without a /worlds/{name} prefix.
DEFAULT_WORLD = "default"


class WorldRetired(Exception):
    """The world was deleted (by any process on the database) since this process opened it."""


def load_fixtures(fixtures_dir: Path, vendors: Sequence[Vendor]) -> dict[str, FixtureModel]:
    """Raises FixtureError naming every problem in the fixture directory."""
    return load_directory(fixtures_dir, [(v.id, v.fixture_file, v.fixture_model) for v in vendors])


# Tables the core keeps beside the vendors', none emptied by a reset: the dashboard's
# sessions (imported here so every store has the table).
KEPT_ACROSS_RESETS = (admin_sessions.admin_sessions,)

# What every vendor request reads first, in one statement: the clock, and
# whether any fault is armed at all (most runs have none, so the gate then
# skips its own query). The store remembers it while nothing changed it.
_REQUEST_READING = select(
    clock_table.c.offset_seconds,
    clock_table.c.frozen_at,
    clock_table.c.generation,
    clock_table.c.fixture_version,
    clock_table.c.retired,
    select(func.count()).where(faults.c.times_left > 0).scalar_subquery().label("armed"),
).where(clock_table.c.id == 1)


def _fixtures_version(row: Any) -> tuple[int, int]:
    """What in the first row says the fixtures changed: a reset, fixtures added or edited."""
    return row.generation, row.fixture_version


@dataclass
class World:
    fixtures_dir: Path
    vendors: tuple[Vendor, ...]
    fixtures: dict[str, FixtureModel]
    store: Store
    clock: Clock
    journal: Journal
    signing: SigningSecrets
    limiter: RateLimiter = field(default_factory=RateLimiter)
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    _by_id: dict[str, Vendor] = field(default_factory=dict)
    _generation: int = 0  # the last reset this process has seen
    # The database of a run that named none, removed by close().
    temporary: TemporaryDatabase | None = None
    # What opening the database found: its schema, and the fixture edits applied.
    schema: SchemaOutcome | None = None
    fixture_changes: dict[str, FixtureChanges] = field(default_factory=dict)
    # Its name: "default" is the world of the paths without a /worlds/{name} prefix.
    name: str = DEFAULT_WORLD
    # Requests inside it now (enter, leave), and the machine's time of the last
    # (core/worlds.py: a store is closed only once none is inside).
    in_flight: int = 0
    last_request: float = 0.0
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._by_id = {vendor.id: vendor for vendor in self.vendors}
        self._idle.set()

    def enter(self) -> None:
        """A request (or a control-plane reading) is inside the world."""
        self.in_flight += 1
        self._idle.clear()

    def leave(self) -> None:
        self.in_flight -= 1
        if not self.in_flight:
            self._idle.set()

    async def until_idle(self) -> None:
        """Once no request is inside the world."""
        await self._idle.wait()

    @classmethod
    async def open(
        cls,
        vendors: Sequence[Vendor],
        *,
        fixtures_dir: Path,
        database: str | None,
        database_is_temporary: bool = False,
        journal_size: int = 1000,
        journal_body_limit: int = DEFAULT_BODY_LIMIT,
        journal_max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> World:
        """`database`: a path, `:memory:` or a URL; None: a temporary SQLite file of this
        run, deleted by close(). `database_is_temporary`: `database` is such a file made
        for the workers of one `serve` (core/storage/temporary.py)."""
        fixtures = load_fixtures(fixtures_dir, vendors)
        temporary = None
        if database is None:
            temporary = TemporaryDatabase()
        elif database_is_temporary:
            temporary = TemporaryDatabase(Path(database).parent)  # a worker's
        named = str(temporary.path) if temporary is not None else database
        assert named is not None
        try:
            store = open_store(database_url(named))
        except BaseException:
            if temporary is not None:
                temporary.remove()
            raise
        world = cls(
            fixtures_dir=fixtures_dir,
            vendors=tuple(vendors),
            fixtures=fixtures,
            store=store,
            clock=Clock(store),
            journal=Journal(
                journal_size, body_limit=journal_body_limit, max_bytes=journal_max_bytes
            ),
            signing=SigningSecrets(store),
            temporary=temporary,
        )
        try:
            await world.bring_up()
        except BaseException:
            await world.close()
            raise
        return world

    @classmethod
    def beside(
        cls, server: World, name: str, store: Store, fixtures: dict[str, FixtureModel]
    ) -> World:
        """Another world of the same server: its vendors and fixture directory, its own
        store, fixtures (the server's, with what the world was created with) and journal."""
        return cls(
            fixtures_dir=server.fixtures_dir,
            vendors=server.vendors,
            fixtures=fixtures,
            store=store,
            clock=Clock(store),
            journal=Journal(
                server.journal.size,
                body_limit=server.journal.body_limit,
                max_bytes=server.journal.max_bytes,
            ),
            signing=SigningSecrets(store),
            name=name,
        )

    async def bring_up(self) -> None:
        """Make the database's schema current and apply the fixtures edited since it was
        last opened (a new database: every table made and seeded)."""
        async with self.store.write(exclusive=True) as conn:
            migrations = [vendor.migrations for vendor in self.vendors]
            self.schema = await bring_up_to_date(conn, self.store, migrations)
            await Clock.ensure_row(conn, self.store)
            for vendor in self.vendors:
                self.fixture_changes[vendor.id] = await self._apply_fixtures(conn, vendor)
            await runtime_fixtures.index_stale(conn, self.vendors)
        self._generation = (await self.clock.read()).generation

    async def _apply_fixtures(self, conn: Connection, vendor: Vendor) -> FixtureChanges:
        """Bring a kept database up to the fixture files: every entry added or edited in
        them since the last start is written, the rest is left as the API left it."""
        fixtures = self.fixtures[vendor.id]
        changes = await applied_fixtures.compare(conn, vendor.id, fixtures)
        if changes.first or changes.removed:
            if changes.removed:
                await self._forget_vendor(conn, vendor)
            await vendor.seed(conn, self.store, fixtures)
        elif changes.settings_changed or changes.changed:
            edits = changes.changed_only(fixtures)
            try:
                async with self.store.savepoint(conn, "fixture_edits"):
                    if changes.settings_changed:
                        await vendor.seed(conn, self.store, edits)
                    else:
                        await (vendor.add_fixtures or vendor.seed)(conn, self.store, edits)
            except (FixtureConflict, IntegrityError) as error:
                # An edit clashes with what the API made since (a user's email taken,
                # a message's conversation deleted): the file wins, whole.
                cause = error.orig if isinstance(error, IntegrityError) else error
                changes = replace(changes, conflict=one_line(str(cause)))
                await self._forget_vendor(conn, vendor)
                await vendor.seed(conn, self.store, fixtures)
        if changes.any:
            if not changes.first:
                settings = changes.settings_changed and not changes.adopted
                await runtime_fixtures.yield_to_file(conn, vendor.id, fixtures, settings=settings)
            await applied_fixtures.record(conn, self.store, vendor.id, fixtures)
            await Clock.count_fixture_change(conn)
        return changes

    async def _forget_vendor(self, conn: Connection, vendor: Vendor) -> None:
        """Every row of the vendor, and the fixtures added to it at run time."""
        await self.store.clear(conn, vendor.tables)
        await runtime_fixtures.forget_vendor(conn, vendor.id)

    def vendor(self, vendor_id: str) -> Vendor | None:
        return self._by_id.get(vendor_id)

    async def reset(self) -> None:
        """State exactly as the fixtures describe it: the real clock, no faults, no fixtures
        added at run time, an empty journal."""
        async with self.store.write(exclusive=True) as conn:
            for vendor in self.vendors:
                await self.store.clear(conn, vendor.tables)
            await self.store.clear(conn, [faults, added_fixtures, added_entries])
            await Clock.reset(conn)
            for vendor in self.vendors:
                await vendor.seed(conn, self.store, self.fixtures[vendor.id])
        self.store.changed()
        self.observe(await self.clock.read())

    async def request_reading(self) -> tuple[ClockReading, int]:
        """The clock for a vendor request, and how many faults are armed; catches up
        with resets made elsewhere. "Now" is always computed afresh from the row."""
        row = await self.store.first_row(_REQUEST_READING, _fixtures_version)
        if row.retired:
            raise WorldRetired(self.name)
        reading = reading_of(row)
        self.observe(reading)
        return reading, row.armed

    async def check_alive(self) -> None:
        """WorldRetired if another process deleted the world (what request_reading finds
        for a vendor request; a control call asks here, from the same remembered row)."""
        row = await self.store.first_row(_REQUEST_READING, _fixtures_version)
        if row.retired:
            raise WorldRetired(self.name)

    def observe(self, reading: ClockReading) -> None:
        """Catch up with a reset made by any process on this database."""
        if reading.generation != self._generation:
            self._generation = reading.generation
            self.journal.clear()
            self.limiter.clear()

    def use_store(self, store: Store) -> None:
        """Go on with another store on the same database (its earlier one was closed
        while the world was idle: core/worlds.py)."""
        self.store = store
        self.clock = Clock(store)
        self.signing = SigningSecrets(store)

    def forget_cached(self) -> None:
        """Its state was replaced whole (an import): nothing this process read of it holds."""
        self.limiter.clear()
        self.signing = SigningSecrets(self.store)

    async def retire(self) -> None:
        """Mark the world deleted in its own store, where every process reading it looks
        first (request_reading), before its rows go."""
        async with self.store.write(exclusive=True) as conn:
            await Clock.retire(conn)
        self.store.changed()

    async def close(self) -> None:
        try:
            await self.store.close()
        finally:
            if self.temporary is not None:
                self.temporary.remove()

    def describe_database(self, *notes: str) -> str:
        """The database as health and the start-up line show it (no password), with
        `notes` in brackets after it."""
        if self.temporary is not None:
            notes = ("temporary: deleted when the server stops", *notes)
        shown = describe_database(self.store.url)
        return f"{shown} ({'; '.join(notes)})" if notes else shown


def world_of(request: Request) -> World:
    world: World = request.state.world
    return world


def now_of(request: Request) -> float:
    """The instant the journal middleware read for this request."""
    now: float = request.scope[NOW_KEY]
    return now
