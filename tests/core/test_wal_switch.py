"""A new SQLite file is switched to WAL even while another process holds its write lock,
where SQLite answers "database is locked" at once, busy timeout or not: the reason two
`serve` processes starting together on a new file sometimes failed (exit 3)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from token_emulator.core.storage.store import sqlite_pragmas


def holding_the_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another connection, in the file's first journal mode, holding its write lock (a
    first start writing its tables) for `seconds`."""
    ready = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE first_start (x)")
        ready.set()
        time.sleep(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(5)
    return thread


def test_sqlite_refuses_the_switch_at_once_without_the_retry(tmp_path: Path) -> None:
    """What the retry is for, shown on SQLite itself."""
    path = tmp_path / "new.sqlite3"
    holder = holding_the_write_lock(path, 0.3)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 10000")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        connection.execute("PRAGMA journal_mode = WAL")
    assert time.monotonic() - started < 0.2  # no busy handler
    holder.join()
    connection.close()


def test_the_store_switches_once_the_lock_is_freed(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    holder = holding_the_write_lock(path, 0.3)
    connection = sqlite3.connect(path, isolation_level=None)
    sqlite_pragmas(connection, None)
    holder.join()
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("SELECT count(*) FROM first_start").fetchone() == (0,)
    connection.close()
