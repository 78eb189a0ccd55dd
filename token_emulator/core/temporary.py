"""The database of a run that asked for none: a fresh SQLite file, deleted at the end.

What WireMock and LocalStack do by default: nothing persists unless asked, so
two projects on one machine never see each other's state. The file lives in a
directory of its own under the system's temporary directory, which goes, WAL and
all, when the server stops.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

FILE_NAME = "emulator.sqlite3"


class TemporaryDatabase:
    """A directory holding one SQLite file; `remove()` (or leaving the block) deletes both."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="token-emulator-"))
        self.path = self.directory / FILE_NAME

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> TemporaryDatabase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()
