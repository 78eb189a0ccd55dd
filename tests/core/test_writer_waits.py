"""A writer finds the write lock held by another connection (another process, another
program) and waits for it on the loop (core/store.py `_when_free`): its block runs once
the lock is free, in the short-hold phase of tries and after it, and nothing is lost."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.schema import CreateTable

from tests.core.text_rows import text_rows
from token_emulator.core.storage import open_store
from token_emulator.core.storage.inline_sqlite import SHORT_HOLD_SECONDS, InlineSqliteStore

pytestmark = pytest.mark.anyio

rows, COUNT = text_rows("waiting_rows")


@pytest.mark.parametrize(
    "held_for",
    [SHORT_HOLD_SECONDS / 4, SHORT_HOLD_SECONDS * 5],
    ids=["freed-within-the-short-hold", "held-past-it"],
)
async def test_writers_wait_for_another_connections_lock_and_then_commit(
    tmp_path: Path, held_for: float
) -> None:
    path = tmp_path / "waits.sqlite3"
    store = open_store(f"sqlite+pysqlite:///{path}")
    assert isinstance(store, InlineSqliteStore)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with store.write() as conn:
            await conn.execute(CreateTable(rows))
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO waiting_rows (text) VALUES ('the other program')")

        async def write(index: int) -> None:
            async with store.write() as conn:
                await conn.execute(rows.insert(), {"text": f"writer {index}"})

        writers = [asyncio.create_task(write(index)) for index in range(8)]
        # A real wait: the lock is another connection's, not the emulator clock's to move.
        await asyncio.sleep(held_for)
        assert not any(writer.done() for writer in writers), "nobody gets past a held lock"
        other.execute("COMMIT")
        await asyncio.wait_for(asyncio.gather(*writers), timeout=5)
        async with store.read() as conn:
            assert (await conn.execute(COUNT)).scalar_one() == 1 + len(writers)
    finally:
        other.close()
        await store.close()
