"""The inline SQLite store checkpoints the WAL itself, on a thread, after each commit
while the WAL is CHECKPOINT_WAL_BYTES or longer (core/store.py `_checkpoint`): it stays short
and nothing committed is lost, in this process or for another reader."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.schema import CreateTable

from tests.core.text_rows import text_rows
from token_emulator.core.storage import open_store
from token_emulator.core.storage.inline_sqlite import CHECKPOINT_WAL_BYTES, InlineSqliteStore

pytestmark = pytest.mark.anyio

rows, COUNT = text_rows("checkpoint_rows")
INSERT = rows.insert()


def wal_frames(path: Path) -> int:
    """Frames in the WAL now: a PASSIVE checkpoint of nothing new reports them."""
    with sqlite3.connect(path) as other:
        _busy, frames, _copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(frames)


async def test_the_wal_starts_afresh_as_it_grows_and_keeps_every_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "checkpoints.sqlite3"
    store = open_store(f"sqlite+pysqlite:///{path}")
    assert isinstance(store, InlineSqliteStore)
    try:
        async with store.write() as conn:
            await conn.execute(CreateTable(rows))
        # SQLite's own checkpoint inside COMMIT is off on the writer: ours replaces it.
        assert store._raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        most_frames = CHECKPOINT_WAL_BYTES // (4096 + 24)

        async def write(index: int) -> None:
            async with store.write() as conn:
                await conn.execute(INSERT, {"text": f"row {index} " + "x" * 2000})

        commits = 2_500
        for index in range(commits):  # one at a time: a group commit each
            await write(index)
        # Without checkpoints the WAL holds ~5,000 frames by now (measured: 5,022).
        assert wal_frames(path) <= most_frames
        # 32 at a time as well, and nothing lost either way.
        await asyncio.gather(*(write(commits + index) for index in range(640)))
        assert wal_frames(path) <= most_frames
        async with store.read() as conn:
            assert (await conn.execute(COUNT)).scalar_one() == commits + 640
    finally:
        await store.close()
    with sqlite3.connect(path) as other:  # and for another reader after the close
        assert other.execute("SELECT count(*) FROM checkpoint_rows").fetchone()[0] == commits + 640
