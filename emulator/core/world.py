"""The world a request sees: store, clock, journal, fixtures and the vendors.

Built once per app in the lifespan and reached through `request.state.world`,
never through module globals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from starlette.requests import Request

from emulator.core.clock import Clock, ClockReading
from emulator.core.faults import faults
from emulator.core.fixtures import FixtureModel, load_directory
from emulator.core.journal import NOW_KEY, Journal
from emulator.core.locks import KeyedLocks
from emulator.core.ratelimit import RateLimiter
from emulator.core.runtime_fixtures import added_fixtures
from emulator.core.signing import SigningSecrets
from emulator.core.store import Store, database_url
from emulator.core.vendor import Vendor
from emulator.settings import Settings


def load_fixtures(settings: Settings, vendors: Sequence[Vendor]) -> dict[str, FixtureModel]:
    """Raises FixtureError naming every problem in the fixture directory."""
    return load_directory(
        settings.fixtures_dir, [(v.id, v.fixture_file, v.fixture_model) for v in vendors]
    )


@dataclass
class World:
    settings: Settings
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

    def __post_init__(self) -> None:
        self._by_id = {vendor.id: vendor for vendor in self.vendors}

    @classmethod
    async def open(cls, settings: Settings, vendors: Sequence[Vendor]) -> World:
        fixtures = load_fixtures(settings, vendors)
        store = Store(database_url(settings.database))
        world = cls(
            settings=settings,
            vendors=tuple(vendors),
            fixtures=fixtures,
            store=store,
            clock=Clock(store),
            journal=Journal(settings.journal_size),
            signing=SigningSecrets(store),
        )
        try:
            await store.migrate()
            # A restart keeps the state it finds and merges the fixture files
            # in; only a reset makes the state exactly the fixtures.
            async with store.write(exclusive=True) as conn:
                await Clock.ensure_row(conn, store)
                for vendor in world.vendors:
                    await vendor.seed(conn, store, fixtures[vendor.id])
            world._generation = (await world.clock.read()).generation
        except BaseException:
            await store.close()
            raise
        return world

    def vendor(self, vendor_id: str) -> Vendor | None:
        return self._by_id.get(vendor_id)

    async def reset(self) -> None:
        """State exactly as the fixtures describe it: the real clock, no faults, no fixtures
        added at run time, an empty journal."""
        async with self.store.write(exclusive=True) as conn:
            for vendor in self.vendors:
                await self.store.clear(conn, vendor.tables)
            await self.store.clear(conn, [faults, added_fixtures])
            await Clock.reset(conn)
            for vendor in self.vendors:
                await vendor.seed(conn, self.store, self.fixtures[vendor.id])
        self.observe(await self.clock.read())

    def observe(self, reading: ClockReading) -> None:
        """Catch up with a reset made by any process on this database."""
        if reading.generation != self._generation:
            self._generation = reading.generation
            self.journal.clear()
            self.limiter.clear()

    async def close(self) -> None:
        await self.store.close()


def world_of(request: Request) -> World:
    world: World = request.state.world
    return world


def now_of(request: Request) -> float:
    """The instant the journal middleware read for this request."""
    now: float = request.scope[NOW_KEY]
    return now
