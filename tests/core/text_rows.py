"""A table of numbered text rows, for tests of the store's own machinery (its WAL
checkpoints, its writers' waits): nothing a vendor keeps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.sql import Select


def text_rows(name: str) -> tuple[Table, Select[Any]]:
    """The table `name` (an id counting up, a text) and the statement that counts its rows."""
    table = Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("text", String, nullable=False),
    )
    return table, select(func.count()).select_from(table)
