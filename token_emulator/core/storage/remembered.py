"""Rows the store answers from memory while nothing can have changed them.

Two kinds: the row every vendor request reads first (the clock with the count
of armed faults), and rows of tables only fixtures write (a workspace, an app,
an API key), which most token requests look up. Reading them again on every
request cost a statement each (bench/HISTORY.md, "Remembered rows").

What may have changed is told by the store's change stamp (the inline SQLite
store: SQLite's data_version, moved by other processes' commits, and this
process's own changes), asked once per request by the first read. A store
that cannot tell (PostgreSQL) reads the first row every time, and keeps the
fixture rows while the version that row carries (its reset generation and
fixture version) holds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy.sql.base import Executable

from token_emulator.core.storage.connection import Connection

MAX_REMEMBERED_ROWS = 4096
# A lookup by a longer value (an unknown id in a 15 KiB header) is read each time:
# remembering it would make the bound 4096 of whatever size a caller sends.
MAX_REMEMBERED_KEY_CHARS = 512

Version = Callable[[Any], Hashable]
Reader = Callable[[], contextlib.AbstractAsyncContextManager[Connection]]  # Store.read


class RememberedRows:
    __slots__ = ("_first_row", "_rows", "_stamp", "_version_seen")

    def __init__(self) -> None:
        self._stamp: tuple[int, int] | None = None
        self._first_row: Any = None
        self._rows: dict[Any, Any] = {}
        # Without a change stamp: the version of the data the rows were read at.
        self._version_seen: Hashable | None = None

    def forget(self) -> None:
        self._stamp = None
        self._first_row = None
        self._rows.clear()
        self._version_seen = None

    async def first_row(
        self, stamp: tuple[int, int] | None, read: Reader, statement: Executable, version: Version
    ) -> Any:
        """`stamp`: the store's change stamp now (None: it cannot tell)."""
        if stamp is None or stamp != self._stamp:
            self._stamp = stamp
            self._first_row = None
            if stamp is not None:
                self._rows.clear()
        row = self._first_row
        if row is None:
            async with read() as conn:
                row = (await conn.execute(statement)).one()
            if stamp is not None:
                self._first_row = row
            else:
                seen = version(row)
                if seen != self._version_seen:
                    self._version_seen = seen
                    self._rows.clear()
        return row

    async def fixture_row(self, read: Reader, statement: Executable, parameters: Any) -> Any:
        key = (statement, tuple(sorted(parameters.items())))
        if key in self._rows:
            return self._rows[key]
        async with read() as conn:
            row = (await conn.execute(statement, parameters)).one_or_none()
        remembering = self._stamp is not None or self._version_seen is not None
        if remembering and _short(parameters):
            if len(self._rows) >= MAX_REMEMBERED_ROWS:
                self._rows.clear()  # bounded: unknown keys are remembered too
            self._rows[key] = row
        return row


def _short(parameters: dict[str, Any]) -> bool:
    return all(len(str(value)) <= MAX_REMEMBERED_KEY_CHARS for value in parameters.values())
