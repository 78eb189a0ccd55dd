"""A vendor's top-level fixture settings (web1on1's rate limit, the widget's lifetimes,
8x8's room lifetime), kept as the one row of the vendor's settings table: every process
reads the same, and fixtures added at run time may change them until the next reset.

The table's columns are named as the settings are in the fixture schema, beside `id`.
"""

from __future__ import annotations

from sqlalchemy import Table

from token_emulator.core.fixtures import FixtureModel, top_level_settings
from token_emulator.core.storage import Connection, Store

SETTINGS_ROW = 1


async def write_settings(
    conn: Connection, store: Store, table: Table, fixtures: FixtureModel
) -> None:
    """The fixtures' top-level settings, as the table's one row."""
    row = {name: getattr(fixtures, name) for name in top_level_settings(type(fixtures))}
    await store.upsert(conn, table, [{"id": SETTINGS_ROW, **row}])
