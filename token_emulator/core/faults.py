"""Injected faults: force a vendor route's status, delay its answer, or drop the connection.

Faults live in the store, so every process on one database obeys them, and
each one is consumed by a conditional UPDATE, so `times: 2` means exactly two
requests across all processes. A fault acts after routing (it is matched by
route name and method) and before the vendor's endpoint runs; a forced status
is rendered by the vendor's own error renderer, in its own body shape.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Float, Integer, Row, String, Table, delete, select, update
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from token_emulator.core.errors import NOW_KEY, REASON_KEY, ErrorRenderer
from token_emulator.core.headers import REASON_HEADER
from token_emulator.core.instants import isoformat
from token_emulator.core.store import AutoId, metadata

if TYPE_CHECKING:
    from token_emulator.core.vendor import Vendor
    from token_emulator.core.world import World

FORCED_KEY = "token_emulator.forced"  # the id of the fault that acted on a request
RAW_SEND_KEY = "token_emulator.raw_send"  # the server's own `send`, to find its transport
DROPPED_KEY = "token_emulator.dropped"  # no answer was sent: the connection was closed
# Faults armed when the request came in (0: skip the gate).
ARMED_KEY = "token_emulator.faults_armed"
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


class ConnectionDropped(Exception):
    """Raised where no server transport exists to drop (the ASGI app called in-process)."""


@dataclass(frozen=True)
class VendorRoute:
    name: str
    methods: tuple[str, ...]
    path: str

    @property
    def short(self) -> str:
        return self.name.split(":", 1)[1]


def vendor_routes(vendor: Vendor) -> list[VendorRoute]:
    """Every named route of a vendor, once each (UneeQ serves one route under five prefixes)."""
    found: dict[str, VendorRoute] = {}
    for mount in vendor.mounts():
        for route in _walk(mount, ""):
            found.setdefault(route.name, route)
    return list(found.values())


def _walk(app: Any, prefix: str) -> Iterator[VendorRoute]:
    if isinstance(app, Mount):
        prefix, app = prefix + app.path, app.app
    while not hasattr(app, "routes") and hasattr(app, "app"):
        app = app.app  # through middleware to the router
    for route in getattr(app, "routes", []):
        if isinstance(route, Route) and route.name:
            methods = tuple(sorted((route.methods or set()) - {"HEAD"}))
            yield VendorRoute(route.name, methods, prefix + route.path)
        elif isinstance(route, Mount):
            yield from _walk(route, prefix)


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


async def take(world: World, vendor: str, route: str, method: str) -> Row[Any] | None:
    """The fault that acts on this request, consumed; None when none does."""
    async with world.store.read() as conn:
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
        async with world.store.write() as conn:
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
            world.store.changed()  # the count of armed faults may have dropped
            return row
    return None


async def act(
    fault: Row[Any], scope: Scope, receive: Receive, send: Send, render: ErrorRenderer
) -> bool:
    """Do what `fault` says to the request: wait, drop the connection, or answer its status
    in the route's error shape. False: the request is to be answered normally (a delay
    alone, once waited)."""
    scope[FORCED_KEY] = fault.id
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)  # real time: it is about the wire
    if fault.drop:
        scope[REASON_KEY] = f"connection dropped by fault #{fault.id}"
        scope[DROPPED_KEY] = True
        await _drop(scope)
        return True
    if fault.status is None:
        return False
    scope[REASON_KEY] = f"status {fault.status} forced by fault #{fault.id}"
    phrase = HTTPStatus(fault.status).phrase
    response = render(fault.status, phrase, scope.get(NOW_KEY) or 0.0)
    response.headers[REASON_HEADER] = scope[REASON_KEY]
    await response(scope, receive, send)
    return True


async def _drop(scope: Scope) -> None:
    """Close the client's connection without an answer.

    ASGI has no way to say this, so the server's transport is reached through
    its `send` (uvicorn's request cycle keeps it). In-process there is no
    connection: the caller sees ConnectionDropped instead.
    """
    cycle = getattr(scope.get(RAW_SEND_KEY), "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("fault: connection dropped (no server transport in-process)")
    transport.abort()
    # Let the server see the connection lost, so it does not answer 500 for us.
    for _ in range(3):
        await asyncio.sleep(0)


async def add(world: World, now: float, values: dict[str, Any], seed: int | None) -> dict[str, Any]:
    """Store a fault; without a seed its id seeds it, so a script's faults repeat their draws."""
    async with world.store.write() as conn:
        created = await conn.execute(
            faults.insert()
            .values(**values, seed=seed or 0, draws=0, created_at=now)
            .returning(faults.c.id)
        )
        fault_id = created.scalar_one()
        if seed is None:
            await conn.execute(update(faults).where(faults.c.id == fault_id).values(seed=fault_id))
        row = (await conn.execute(select(faults).where(faults.c.id == fault_id))).one()
    world.store.changed()
    return fault_json(row)


async def active(world: World) -> list[dict[str, Any]]:
    async with world.store.read() as conn:
        query = select(faults).where(faults.c.times_left > 0).order_by(faults.c.id)
        return [fault_json(row) for row in await conn.execute(query)]


async def remove(world: World, fault_id: int | None) -> dict[str, Any] | None:
    """Delete one fault (its last state) or, with None, all of them."""
    async with world.store.write() as conn:
        if fault_id is None:
            await conn.execute(delete(faults))
        else:
            gone = delete(faults).where(faults.c.id == fault_id).returning(faults)
            row = (await conn.execute(gone)).one_or_none()
    world.store.changed()
    if fault_id is None or row is None:
        return None
    return fault_json(row)
