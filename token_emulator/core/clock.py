"""The one source of the emulator's "now".

The clock lives in the store, so every process on one database shares it:
real time (core/instants.py, the only reader of the machine's clock) plus an
offset, or frozen at an instant. Every expiry and every time check asks it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Column, Float, Integer, Table, case, func, select, update

from token_emulator.core.instants import check_range, isoformat, parse_instant, real_time
from token_emulator.core.storage import Connection, Store, metadata

__all__ = ["Clock", "ClockReading", "check_range", "isoformat", "parse_instant", "real_time"]

clock_table = Table(
    "emulator_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", Float, nullable=False),
    Column("frozen_at", Float, nullable=True),
    # Counts resets, so each process notices another's reset on its next read.
    Column("generation", Integer, nullable=False),
    # Counts changes to the fixtures between resets (run-time additions, a restart that
    # applied edited files), so each process knows when fixture rows it remembers are stale.
    Column("fixture_version", Integer, nullable=False, server_default="0"),
    # 1 once the world was deleted: a process that still has it open learns so from the
    # row every request reads first (core/worlds.py).
    Column("retired", Integer, nullable=False, server_default="0"),
)

_ROW = clock_table.c.id == 1

REAL_CLOCK_ROW = {
    "id": 1,
    "offset_seconds": 0.0,
    "frozen_at": None,
    "generation": 0,
    "fixture_version": 0,
    "retired": 0,
}


class ClockReading(NamedTuple):
    # A NamedTuple: every vendor request makes one, and a frozen dataclass costs
    # several times more to make.
    now: float
    frozen: bool
    offset_seconds: float
    generation: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "now": isoformat(self.now),
            "frozen": self.frozen,
            "offset_seconds": round(self.offset_seconds, 6),
        }


# Built once: building and keying a statement costs more than running it.
_READ = select(clock_table.c.offset_seconds, clock_table.c.frozen_at, clock_table.c.generation)
_READ = _READ.where(_ROW)


def reading_of(row: Any) -> ClockReading:
    """A clock row (offset_seconds, frozen_at, generation) read against real time now."""
    real = real_time()
    if row.frozen_at is None:
        return ClockReading(real + row.offset_seconds, False, row.offset_seconds, row.generation)
    return ClockReading(row.frozen_at, True, row.frozen_at - real, row.generation)


async def read_clock(conn: Connection) -> ClockReading:
    """The clock as the store holds it, on a connection the caller already has
    (a vendor's state reader gets only a connection)."""
    return reading_of((await conn.execute(_READ)).one())


class Clock:
    def __init__(self, store: Store) -> None:
        self._store = store

    @staticmethod
    async def ensure_row(conn: Connection, store: Store) -> None:
        await store.insert_missing(conn, clock_table, [REAL_CLOCK_ROW])

    async def read(self) -> ClockReading:
        async with self._store.read() as conn:
            return await read_clock(conn)

    async def now(self) -> float:
        return (await self.read()).now

    # Each change is one UPDATE, so two processes moving the clock at once
    # both take effect instead of one overwriting the other.

    async def advance(self, seconds: float) -> ClockReading:
        check_range((await self.now()) + seconds)
        c = clock_table.c
        await self._update(
            offset_seconds=case(
                (c.frozen_at.is_(None), c.offset_seconds + seconds), else_=c.offset_seconds
            ),
            frozen_at=c.frozen_at + seconds,  # NULL stays NULL when not frozen
        )
        return await self.read()

    async def set(self, instant: float, *, freeze: bool = False) -> ClockReading:
        """A running clock keeps running from `instant`; a frozen one stays frozen there.
        `freeze`: frozen at exactly `instant` either way."""
        check_range(instant)
        c = clock_table.c
        if freeze:
            await self._update(offset_seconds=instant - real_time(), frozen_at=instant)
            return await self.read()
        await self._update(
            offset_seconds=case(
                (c.frozen_at.is_(None), instant - real_time()), else_=c.offset_seconds
            ),
            frozen_at=case((c.frozen_at.is_(None), None), else_=instant),
        )
        return await self.read()

    async def freeze(self) -> ClockReading:
        c = clock_table.c
        await self._update(frozen_at=func.coalesce(c.frozen_at, real_time() + c.offset_seconds))
        return await self.read()

    async def real(self) -> ClockReading:
        await self._update(offset_seconds=0.0, frozen_at=None)
        return await self.read()

    @staticmethod
    async def reset(conn: Connection) -> None:
        """Back to real time, inside the caller's reset transaction."""
        c = clock_table.c
        values = {"offset_seconds": 0.0, "frozen_at": None, "generation": c.generation + 1}
        await conn.execute(update(clock_table).where(_ROW).values(**values))

    @staticmethod
    async def count_fixture_change(conn: Connection) -> None:
        """Say, inside the caller's transaction, that the fixtures changed (core/world.py)."""
        version = clock_table.c.fixture_version + 1
        await conn.execute(update(clock_table).where(_ROW).values(fixture_version=version))

    @staticmethod
    async def retire(conn: Connection) -> None:
        """Say, inside the caller's transaction, that the world was deleted."""
        await conn.execute(update(clock_table).where(_ROW).values(retired=1))

    async def _update(self, **values: object) -> None:
        async with self._store.write() as conn:
            await conn.execute(update(clock_table).where(_ROW).values(**values))
        self._store.changed()  # after the commit: a reader in between must not keep the old
