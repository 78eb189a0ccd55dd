"""The database of a run that asked for none: a fresh SQLite file, deleted at the end.

What WireMock and LocalStack do by default: nothing persists unless asked, so
two projects on one machine never see each other's state. The file lives in a
directory of its own under the system's temporary directory, which goes, WAL and
all, when the last process using it stops: `serve`, or with `--workers` the
parent and its workers, each holding a shared lock on the directory's lock file
while it runs. The last one out can take the lock exclusively and removes the
directory; so a parent killed outright (SIGKILL) leaves it to its workers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

FILE_NAME = "emulator.sqlite3"
LOCK_NAME = "in-use.lock"


def _held(directory: Path, how: int) -> int | None:
    """A descriptor of the directory's lock file, locked `how`; None when the directory
    is gone or the lock is not to be had."""
    try:
        descriptor = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, how)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


class TemporaryDatabase:
    """A directory holding one SQLite file, in use while this object holds its lock.

    `TemporaryDatabase()` makes a new one; `TemporaryDatabase(directory)` joins one
    another process made (a worker of `serve --workers`). `remove()`, or leaving the
    block, lets go of it and deletes it if no other process still uses it."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="token-emulator-"))
        self.directory = directory
        self.path = directory / FILE_NAME
        self._lock = _held(directory, fcntl.LOCK_SH)

    def remove(self) -> None:
        if self._lock is None:
            return
        # Let go first, then ask for the lock alone: whichever process is last to let
        # go gets it, whatever order they stop in.
        os.close(self._lock)
        self._lock = None
        last = _held(self.directory, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if last is None:
            return  # another process still uses it, and removes it when it stops
        with contextlib.suppress(OSError):
            shutil.rmtree(self.directory)
        os.close(last)

    def __enter__(self) -> TemporaryDatabase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()
