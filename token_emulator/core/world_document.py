"""A world's whole state as one JSON document: what `GET /_emulator/export` gives and
`POST /_emulator/worlds {"import": ...}` (or `copy_of`) takes.

    {"format": "token-emulator/world", "version": 1,
     "world": "qa-1234", "exported_at": "2026-12-07T10:00:00Z",
     "clock": {"offset_seconds": 0.0, "frozen_at": null},
     "fixtures": {<vendor>: <the document the world was created with>},
     "core": {<table>: [<row>, ...]},
     "vendors": {<vendor>: {<table>: [<row>, ...]}}}

Rows are objects of column names and values (strings, numbers, booleans,
null), every row of every table the world holds: tokens, sessions, rooms,
users, faults, fixtures added at run time, and the secrets the emulator signs
its own tokens with, so what was issued before the export verifies after the
import. The clock keeps its offset from real time (or its frozen instant), so
an expiry falls at the same instant in both worlds. The dashboard's sessions
and the list of worlds are the server's, not a world's, and are left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Table, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from token_emulator.core import runtime_fixtures
from token_emulator.core.clock import Clock, check_range, clock_table, isoformat, real_time
from token_emulator.core.fixtures import FixtureError
from token_emulator.core.instants import LATEST
from token_emulator.core.storage import Connection, metadata
from token_emulator.core.world import World

FORMAT = "token-emulator/world"
VERSION = 1
CLOCK_KEYS = ("offset_seconds", "frozen_at")


class DocumentProblem(Exception):
    """An export document that cannot be imported; its message says where and why."""


def _core_tables(world: World) -> list[Table]:
    """The core's tables a world holds, parents first (not the vendors', nor the server's,
    nor those made again from the others: the index of fixtures added at run time)."""
    vendors = {table.name for vendor in world.vendors for table in vendor.tables}
    left_out = vendors | {clock_table.name}
    return [
        table
        for table in metadata.sorted_tables
        if table.name not in left_out
        and not table.info.get("server_only")
        and not table.info.get("derived")
    ]


async def _rows(conn: Connection, table: Table) -> list[dict[str, Any]]:
    query = select(table).order_by(*table.primary_key.columns)
    return [dict(row._mapping) for row in await conn.execute(query)]


async def export(world: World, given_fixtures: dict[str, Any]) -> dict[str, Any]:
    """The world's state now, read in one transaction."""
    async with world.store.write(exclusive=True) as conn:  # nothing changes while it is read
        clock = (await conn.execute(select(clock_table))).one()
        core = {table.name: await _rows(conn, table) for table in _core_tables(world)}
        vendors = {
            vendor.id: {table.name: await _rows(conn, table) for table in vendor.tables}
            for vendor in world.vendors
        }
    reading = await world.clock.read()
    return {
        "format": FORMAT,
        "version": VERSION,
        "world": world.name,
        "exported_at": isoformat(reading.now),
        "clock": {key: getattr(clock, key) for key in CLOCK_KEYS},
        "fixtures": given_fixtures,
        "core": core,
        "vendors": vendors,
    }


def check(document: Any) -> dict[str, Any]:
    """The document's fixtures, once its envelope is one this release reads."""
    if not isinstance(document, dict):
        raise DocumentProblem("an export document is a JSON object")
    if document.get("format") != FORMAT:
        raise DocumentProblem(f'not an export document: "format" is not "{FORMAT}"')
    if document.get("version") != VERSION:
        raise DocumentProblem(
            f"export document version {json.dumps(document.get('version'))[:20]}: "
            f"this release reads version {VERSION}"
        )
    fixtures = document.get("fixtures", {})
    if not isinstance(fixtures, dict):
        raise DocumentProblem('"fixtures" must be an object of vendor ids')
    return fixtures


# What a stored number may be: an instant, a lifetime, an offset or a count fits.
LARGEST_NUMBER = LATEST
LARGEST_INTEGER = 2**63 - 1


def _value_problem(column: Column[Any], value: Any) -> str | None:
    """Why `value` cannot go in `column` as the API would have written it, if it cannot."""
    if value is None:
        return None if column.nullable else "may not be null"
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = object
    if kind is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        return None if abs(value) <= LARGEST_INTEGER else "is out of range"
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        fits = math.isfinite(value) and abs(value) <= LARGEST_NUMBER
        return None if fits else "is out of range"
    if kind is str:
        return None if isinstance(value, str) else "must be a string"
    return None


def _checked_rows(table: Table, rows: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        raise DocumentProblem(f"{where}: rows must be a list")
    columns = table.columns
    for number, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DocumentProblem(f"{where}[{number}]: a row must be an object")
        unknown = sorted(set(row) - set(columns.keys()))
        if unknown:
            raise DocumentProblem(f"{where}[{number}]: no column {unknown[0][:40]!r}")
        for name, value in row.items():
            if (problem := _value_problem(columns[name], value)) is not None:
                raise DocumentProblem(f"{where}[{number}].{name} {problem}")
    return rows


def _tables_of(
    section: Any, tables: Iterable[Table], where: str
) -> list[tuple[Table, list[dict[str, Any]]]]:
    if not isinstance(section, dict):
        raise DocumentProblem(f"{where} must be an object of tables")
    by_name = {table.name: table for table in tables}
    unknown = sorted(set(section) - set(by_name))
    if unknown:
        raise DocumentProblem(f"{where}: no table {unknown[0][:60]!r}")
    return [
        (table, _checked_rows(table, section[name], f"{where}.{name}"))
        for name, table in by_name.items()
        if name in section
    ]


async def load(world: World, document: dict[str, Any]) -> None:
    """Make the world hold what the document holds: every table emptied and filled
    with its rows, the clock as exported. DocumentProblem, with nothing changed, when
    it cannot be read or its rows do not fit the tables."""
    check(document)
    vendors = document.get("vendors", {})
    if not isinstance(vendors, dict):
        raise DocumentProblem('"vendors" must be an object of vendor ids')
    unknown = sorted(set(vendors) - {vendor.id for vendor in world.vendors})
    if unknown:
        raise DocumentProblem(f"vendors: no vendor {unknown[0][:40]!r} is served here")
    filling = _tables_of(document.get("core", {}), _core_tables(world), "core")
    for vendor in world.vendors:
        if vendor.id in vendors:
            where = f"vendors.{vendor.id}"
            filling += _tables_of(vendors[vendor.id], vendor.tables, where)
    clock = _checked_clock(document.get("clock", {}))
    try:
        async with world.store.write(exclusive=True) as conn:
            emptied = _core_tables(world) + [t for v in world.vendors for t in v.tables]
            await world.store.clear(conn, _parents_first(emptied))
            for table, rows in _parents_first_pairs(filling):
                if rows:
                    await conn.execute(table.insert(), rows)
            await conn.execute(
                update(clock_table)
                .where(clock_table.c.id == 1)
                .values(offset_seconds=clock["offset_seconds"], frozen_at=clock["frozen_at"])
            )
            await Clock.count_fixture_change(conn)
            await world.store.restart_counters(conn, [table for table, _rows in filling])
            await runtime_fixtures.reindex(conn, world.vendors)
    except (IntegrityError, StatementError, DBAPIError) as error:
        cause = getattr(error, "orig", None) or error
        raise DocumentProblem(f"the rows do not fit the tables: {cause}") from None
    except FixtureError as error:
        where = f"core.{runtime_fixtures.added_fixtures.name}"
        raise DocumentProblem(f"{where}: a document is not fixtures: {error}") from None
    world.store.changed()
    world.forget_cached()


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _checked_clock(clock: Any) -> dict[str, Any]:
    """The clock as exported: an offset from real time, and the frozen instant or null,
    each putting now where the clock endpoint allows it."""
    shape = '"clock" must hold offset_seconds (a number) and frozen_at (an instant or null)'
    if not isinstance(clock, dict):
        raise DocumentProblem(shape)
    offset, frozen = clock.get("offset_seconds"), clock.get("frozen_at")
    if not _number(offset) or not (frozen is None or _number(frozen)):
        raise DocumentProblem(shape)
    assert isinstance(offset, (int, float))
    try:
        check_range(real_time() + offset if frozen is None else frozen)
    except (ValueError, OverflowError) as error:
        raise DocumentProblem(f'"clock": {error}') from None
    if not math.isfinite(offset) or abs(offset) > LARGEST_NUMBER:
        raise DocumentProblem('"clock": offset_seconds is out of range')
    return {"offset_seconds": offset, "frozen_at": frozen}


def _parents_first(tables: list[Table]) -> list[Table]:
    order = {table.name: number for number, table in enumerate(metadata.sorted_tables)}
    return sorted(tables, key=lambda table: order[table.name])


def _parents_first_pairs(
    pairs: list[tuple[Table, list[dict[str, Any]]]],
) -> list[tuple[Table, list[dict[str, Any]]]]:
    order = {table.name: number for number, table in enumerate(metadata.sorted_tables)}
    return sorted(pairs, key=lambda pair: order[pair[0].name])
