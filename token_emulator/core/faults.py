"""Injected faults: force a vendor route's status, delay its answer, or drop the connection.

Faults live in the store, so every process on one database obeys them, and
each one is consumed by a conditional UPDATE, so `times: 2` means exactly two
requests across all processes. A fault acts after routing (it is matched by
route name and method) and before the vendor's endpoint runs
(request_path/vendor_route.py); a forced status is rendered by the vendor's
own error renderer, in its own body shape.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Boolean, Column, Float, Integer, Row, String, Table, delete, select, update

from token_emulator.core.instants import isoformat
from token_emulator.core.storage import AutoId, Store, metadata

MAX_DELAY_MS = 60_000
MAX_TIMES = 10_000

faults = Table(
    "emulator_faults",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("vendor", String, nullable=False),
    Column("route", String, nullable=True),  # a full route name; NULL: every route
    Column("method", String, nullable=True),  # NULL: every method
    Column("status", Integer, nullable=True),
    Column("delay_ms", Integer, nullable=True),
    Column("drop", Boolean, nullable=False),
    Column("probability", Float, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("draws", Integer, nullable=False),  # matching requests seen: the RNG's position
    Column("times_left", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)


def fault_json(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "vendor": row.vendor,
        "route": row.route,
        "method": row.method,
        "status": row.status,
        "delay_ms": row.delay_ms,
        "drop": row.drop,
        "probability": row.probability,
        "seed": row.seed,
        "times_left": row.times_left,
        "created_at": isoformat(row.created_at),
    }


def _fires(row: Row[Any], draw: int) -> bool:
    """The `draw`-th number of the fault's own sequence: repeatable for a given seed."""
    if row.probability >= 1:
        return True
    return random.Random(f"{row.seed}:{draw}").random() < row.probability


async def take(store: Store, vendor: str, route: str, method: str) -> Row[Any] | None:
    """The fault that acts on this request, consumed; None when none does."""
    async with store.read() as conn:
        query = (
            select(faults)
            .where(faults.c.vendor == vendor, faults.c.times_left > 0)
            .order_by(faults.c.id)
        )
        candidates = [
            row
            for row in await conn.execute(query)
            if row.route in (None, route) and row.method in (None, method)
        ]
    for row in candidates:
        async with store.write() as conn:
            if row.probability < 1:
                drawn = await conn.execute(
                    update(faults)
                    .where(faults.c.id == row.id)
                    .values(draws=faults.c.draws + 1)
                    .returning(faults.c.draws)
                )
                draw = drawn.scalar_one_or_none()
                if draw is None or not _fires(row, draw):
                    continue
            consumed = await conn.execute(
                update(faults)
                .where(faults.c.id == row.id, faults.c.times_left > 0)
                .values(times_left=faults.c.times_left - 1)
                .returning(faults.c.id)
            )
            taken = consumed.first() is not None
        if taken:
            store.changed()  # the count of armed faults may have dropped
            return row
    return None


async def add(store: Store, now: float, values: dict[str, Any], seed: int | None) -> dict[str, Any]:
    """Store a fault; without a seed its id seeds it, so a script's faults repeat their draws."""
    async with store.write() as conn:
        created = await conn.execute(
            faults.insert()
            .values(**values, seed=seed or 0, draws=0, created_at=now)
            .returning(faults.c.id)
        )
        fault_id = created.scalar_one()
        if seed is None:
            await conn.execute(update(faults).where(faults.c.id == fault_id).values(seed=fault_id))
        row = (await conn.execute(select(faults).where(faults.c.id == fault_id))).one()
    store.changed()
    return fault_json(row)


async def active(store: Store) -> list[dict[str, Any]]:
    async with store.read() as conn:
        query = select(faults).where(faults.c.times_left > 0).order_by(faults.c.id)
        return [fault_json(row) for row in await conn.execute(query)]


async def remove(store: Store, fault_id: int | None) -> dict[str, Any] | None:
    """Delete one fault (its last state) or, with None, all of them."""
    async with store.write() as conn:
        if fault_id is None:
            await conn.execute(delete(faults))
        else:
            gone = delete(faults).where(faults.c.id == fault_id).returning(faults)
            row = (await conn.execute(gone)).one_or_none()
    store.changed()
    if fault_id is None or row is None:
        return None
    return fault_json(row)
