"""What the store's `read()` and `write()` hand out."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Result, ScalarResult
from sqlalchemy.sql.base import Executable


class Connection(Protocol):
    """SQLAlchemy's AsyncConnection has this shape; so has the inline SQLite store's."""

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]: ...

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]: ...
