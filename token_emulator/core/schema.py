"""The database's schema version: recorded in every database, checked at every start.

A database written by an older release is migrated where a step from its
version is written below, and otherwise re-seeded: its tables dropped and
made afresh (what they held is test data, and one WARNING line says how many
rows went). One written by a newer release is refused: this release cannot
know what its tables mean.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Column, Integer, String, Table, func, select, table, text
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from token_emulator import __version__
from token_emulator.core.store import Connection, Store, metadata

# 0: unknown (an emulator_schema table without its row): re-seeded.
# 1: every release before the version was recorded (no emulator_schema table).
# 2: emulator_schema, emulator_applied_fixtures and web1on1_settings; no web1on1_seeded.
SCHEMA_VERSION = 2

schema_table = Table(
    "emulator_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("written_by", String, nullable=False),  # the release that last wrote the version
)


class SchemaTooNew(Exception):
    """The database was written by a newer release, with a schema this one does not know."""

    def __init__(self, found: int, written_by: str) -> None:
        self.found = found
        self.written_by = written_by
        super().__init__(
            f"it holds schema version {found} (written by token-emulator {written_by}); "
            f"token-emulator {__version__} reads schema version {SCHEMA_VERSION} and older: "
            "start a newer release, or give another --database"
        )


@dataclass(frozen=True)
class SchemaOutcome:
    """What opening the database found and did, for the start-up log."""

    found: int | None  # None: a new database
    migrated: bool = False
    # Set when the database was re-seeded: the rows dropped, per table.
    dropped: str | None = None

    def warning(self) -> str | None:
        """The WARNING line of a re-seed: what was dropped."""
        if self.dropped is None:
            return None
        return (
            f"the database held schema version {self.found}, which token-emulator "
            f"{__version__} cannot migrate to version {SCHEMA_VERSION}: its state was "
            f"dropped ({self.dropped}) and seeded afresh from the fixtures"
        )

    def describe(self) -> str:
        """How the schema was found, for the start-up line."""
        if self.found is None:
            return f"new, schema version {SCHEMA_VERSION}"
        if self.migrated:
            return f"schema version {SCHEMA_VERSION}, migrated from {self.found}"
        if self.dropped is not None:
            return f"schema version {SCHEMA_VERSION}, re-seeded (was {self.found})"
        return f"schema version {SCHEMA_VERSION}"


async def _drop_web1on1_seeded(conn: Connection, _store: Store) -> None:
    # Version 1 seeded web1on1 once and marked it here; fixture entries are now
    # tracked one by one (core/applied_fixtures.py).
    await conn.execute(text("DROP TABLE IF EXISTS web1on1_seeded"))


Migration = Callable[[Connection, Store], Awaitable[None]]

# The step from each version to the next; the tables a step adds are created after
# the last step, from the metadata. An older version with no step here is re-seeded.
MIGRATIONS: dict[int, Migration] = {1: _drop_web1on1_seeded}

# Tables of earlier schemas that the metadata no longer has: a re-seed drops them too.
RETIRED_TABLES = ("web1on1_seeded",)


async def _table_names(conn: Connection, store: Store) -> set[str]:
    if store.dialect == "postgresql":
        query = text(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        )
    else:
        query = text("SELECT name FROM sqlite_master WHERE type = 'table'")
    return set((await conn.scalars(query)).all())


async def _create_missing(conn: Connection) -> None:
    for created in metadata.sorted_tables:
        await conn.execute(CreateTable(created, if_not_exists=True))
        for index in created.indexes:
            await conn.execute(CreateIndex(index, if_not_exists=True))


async def _write_version(conn: Connection, store: Store) -> None:
    await store.upsert(
        conn, schema_table, [{"id": 1, "version": SCHEMA_VERSION, "written_by": __version__}]
    )


async def _reseed(conn: Connection, present: set[str]) -> str:
    """Drop every table of ours the database has; what went, table by table."""
    ours = [t.name for t in reversed(metadata.sorted_tables) if t.name in present]
    retired = [name for name in RETIRED_TABLES if name in present]
    dropped: list[str] = []
    for name in sorted([*retired, *ours]):
        rows = (await conn.execute(select(func.count()).select_from(table(name)))).scalar_one()
        if rows and name != schema_table.name:
            dropped.append(f"{name} {rows}")
    for name in retired:
        await conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    for dropping in reversed(metadata.sorted_tables):
        if dropping.name in present:
            await conn.execute(DropTable(dropping, if_exists=True))
    return "rows: " + ", ".join(dropped) if dropped else "no rows"


async def bring_up_to_date(conn: Connection, store: Store) -> SchemaOutcome:
    """Create, migrate or re-seed the schema; SchemaTooNew when a newer release wrote it.

    Run inside an exclusive write, so two processes starting at once on one
    database do this one after the other."""
    present = await _table_names(conn, store)
    ours = {t.name for t in metadata.sorted_tables} | set(RETIRED_TABLES)
    if schema_table.name in present:
        row = (await conn.execute(select(schema_table).where(schema_table.c.id == 1))).one_or_none()
        found: int | None = row.version if row is not None else 0
        written_by = row.written_by if row is not None else "unknown"
    elif present & ours:
        found, written_by = 1, "0.1.0 or older"
    else:
        found, written_by = None, __version__
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaTooNew(found, written_by)
    outcome = SchemaOutcome(found)
    if found is not None and found < SCHEMA_VERSION:
        steps = [MIGRATIONS.get(version) for version in range(found, SCHEMA_VERSION)]
        if all(step is not None for step in steps):
            for step in filter(None, steps):
                await step(conn, store)
            outcome = SchemaOutcome(found, migrated=True)
        else:
            outcome = SchemaOutcome(found, dropped=await _reseed(conn, present))
    await _create_missing(conn)
    if found != SCHEMA_VERSION:
        await _write_version(conn, store)
    return outcome
