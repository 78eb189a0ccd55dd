"""What PostgreSQL needs that SQLite does not: the few helpers the store calls for it.

The statements of every vendor are the same on both databases; these cover
the differences of the server itself (NUL in text, concurrent DDL, advisory
locks, identity sequences).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Table, func, select

from token_emulator.core.storage.connection import Connection

# The advisory lock every write transaction takes, shared, and a reset, a seed
# or a migration takes alone (any number; "EMUL" in ASCII).
WRITE_LOCK = 0x454D554C
# PostgreSQL text cannot hold NUL, which vendor input may: NUL travels as ESCAPE + "0"
# and ESCAPE itself doubled, both ways, so every string comes back as it was sent.
TEXT_ESCAPE = "\uffff"


def escape(value: str) -> str:
    if "\x00" not in value and TEXT_ESCAPE not in value:
        return value
    escaped = value.replace(TEXT_ESCAPE, TEXT_ESCAPE * 2)
    return escaped.replace("\x00", TEXT_ESCAPE + "0")


def unescape(value: str) -> str:
    if TEXT_ESCAPE not in value:
        return value
    pieces = value.split(TEXT_ESCAPE)
    out = [pieces[0]]
    index = 1
    while index < len(pieces):
        piece = pieces[index]
        if piece == "" and index + 1 < len(pieces):  # a doubled escape: the character itself
            out.append(TEXT_ESCAPE + pieces[index + 1])
            index += 2
        else:  # "0...": a NUL
            out.append("\x00" + piece[1:])
            index += 1
    return "".join(out)


def text_codecs(dbapi_connection: Any, _record: Any) -> None:
    """Every text and varchar value through the NUL escape, on each new asyncpg connection."""

    async def register(connection: Any) -> None:
        for type_name in ("text", "varchar"):
            await connection.set_type_codec(
                type_name,
                schema="pg_catalog",
                encoder=escape,
                decoder=unescape,
                format="text",
            )

    dbapi_connection.run_async(register)


async def write_lock(conn: Connection, exclusive: bool, schema: str | None = None) -> None:
    """Writers share the lock; a reset waits for them and holds them off until it commits.

    Without it a reset deleting rows, table after table, deadlocks with a request
    writing rows that point at them (SQLite takes one writer at a time anyway).
    Each world's schema has a lock of its own: a reset in one holds off no other.
    """
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    if schema is None:
        await conn.execute(select(lock(WRITE_LOCK)))
    else:
        key = int.from_bytes(hashlib.blake2b(schema.encode(), digest_size=4).digest(), "big")
        await conn.execute(select(lock(WRITE_LOCK, key - 2**31)))


async def restart_identities(conn: Connection, table: Table, schema: str | None = None) -> None:
    """After a reset, ids count from 1 again, as SQLite's do in an emptied table (a fault's
    default seed is its id, so a script's faults draw the same after every reset)."""
    column = table.autoincrement_column
    if column is not None:
        name = table.name if schema is None else f'"{schema}".{table.name}'
        sequence = func.pg_get_serial_sequence(name, column.name)
        await conn.execute(select(func.setval(sequence, 1, False)))


async def continue_identities(conn: Connection, table: Table, schema: str | None = None) -> None:
    """After rows were written with their own ids (a world imported), the next id counts
    on from the largest."""
    column = table.autoincrement_column
    if column is not None:
        name = table.name if schema is None else f'"{schema}".{table.name}'
        sequence = func.pg_get_serial_sequence(name, column.name)
        largest = select(func.coalesce(func.max(column), 0)).scalar_subquery()
        await conn.execute(select(func.setval(sequence, largest + 1, False)))
