"""The database's schema version: recorded in every database, checked at every start.

A database written by an older release is migrated where a step from its
version is written below, and otherwise re-seeded: its tables dropped and
made afresh (what they held is test data, and one WARNING line says how many
rows went). One written by a newer release is refused: this release cannot
know what its tables mean.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Column, Integer, String, Table, func, select, table, text
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from token_emulator import __version__
from token_emulator.core.storage import SERVER_ONLY, Connection, Store, metadata

# 0: unknown (an emulator_schema table without its row): re-seeded.
# 1: every release before the version was recorded (no emulator_schema table).
# 2: emulator_schema, emulator_applied_fixtures, emulator_clock.fixture_version, and
#    web1on1's settings table instead of its seeded mark (vendors/web1on1/server.py).
# 3: emulator_admin_sessions (core/admin_sessions.py).
# 4: emulator_worlds and emulator_clock.retired (core/worlds.py).
# 5: emulator_added_entries and emulator_added_fixtures' entries, size, settings and
#    keyed_by (core/runtime_fixtures.py).
SCHEMA_VERSION = 5

schema_table = Table(
    "emulator_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("written_by", String, nullable=False),  # the release that last wrote the version
    info=SERVER_ONLY,
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


Migration = Callable[[Connection, Store], Awaitable[None]]


@dataclass(frozen=True)
class Migrations:
    """The steps from each schema version to the next, for some tables: the core's
    own, or a vendor's (`Vendor.migrations`). A step runs once the tables the new
    version adds exist, so it may fill them; `retired` names tables earlier
    versions had and this one does not (a re-seed drops them too)."""

    steps: Mapping[int, Migration] = field(default_factory=dict)
    retired: tuple[str, ...] = ()


async def _count_fixture_changes(conn: Connection, _store: Store) -> None:
    # Version 2 counts changes to the fixtures in the clock's row, so a process
    # remembering fixture rows sees another process's additions (core/world.py).
    await conn.execute(
        text("ALTER TABLE emulator_clock ADD COLUMN fixture_version INTEGER NOT NULL DEFAULT 0")
    )


async def _nothing_to_fill(_conn: Connection, _store: Store) -> None:
    """Version 3 adds a table that starts empty: made with the others, nothing to move."""


async def _mark_retired_worlds(conn: Connection, _store: Store) -> None:
    # Version 4 marks a deleted world in its clock row (core/worlds.py); its registry
    # table starts empty.
    await conn.execute(
        text("ALTER TABLE emulator_clock ADD COLUMN retired INTEGER NOT NULL DEFAULT 0")
    )


async def _count_added_fixtures(conn: Connection, store: Store) -> None:
    # Version 5 keeps, with each document added at run time, what the bound counts, the
    # settings it gives and how it was keyed: null until a start indexes it
    # (runtime_fixtures.index_stale, called by core/world.py once the migration is
    # done). A database without the table had it made with them just now.
    present = await column_names(conn, store, "emulator_added_fixtures")
    added = (
        ("entries", "INTEGER"),
        ("size", "INTEGER"),
        ("settings", "TEXT"),
        ("keyed_by", "TEXT"),
    )
    for column, kind in added:
        if column not in present:
            statement = f"ALTER TABLE emulator_added_fixtures ADD COLUMN {column} {kind}"
            await conn.execute(text(statement))


# The core's own steps. An older version without a step here cannot be migrated: it
# is re-seeded.
CORE = Migrations(
    {
        1: _count_fixture_changes,
        2: _nothing_to_fill,
        3: _mark_retired_worlds,
        4: _count_added_fixtures,
    }
)


async def table_names(conn: Connection, store: Store) -> set[str]:
    """The tables the database has now."""
    if store.dialect == "postgresql" and store.schema_name is not None:
        query = text("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = :schema")
        query = query.bindparams(schema=store.schema_name)
    elif store.dialect == "postgresql":
        query = text(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        )
    else:
        query = text("SELECT name FROM sqlite_master WHERE type = 'table'")
    return set((await conn.scalars(query)).all())


async def column_names(conn: Connection, store: Store, table_name: str) -> set[str]:
    """The columns a table of the database has now."""
    if store.dialect == "postgresql":
        where = "table_schema = " + (
            ":schema" if store.schema_name is not None else "current_schema()"
        )
        query = text(
            f"SELECT column_name FROM information_schema.columns "
            f"WHERE table_name = :table AND {where}"
        )
        query = query.bindparams(table=table_name)
        if store.schema_name is not None:
            query = query.bindparams(schema=store.schema_name)
    else:
        query = text("SELECT name FROM pragma_table_info(:table)").bindparams(table=table_name)
    return set((await conn.scalars(query)).all())


async def _create_missing_tables(conn: Connection) -> None:
    for created in metadata.sorted_tables:
        await conn.execute(CreateTable(created, if_not_exists=True))


async def _create_missing_indexes(conn: Connection) -> None:
    """After the steps: an index may be on a column a step adds."""
    for indexed in metadata.sorted_tables:
        for index in indexed.indexes:
            await conn.execute(CreateIndex(index, if_not_exists=True))


async def _write_version(conn: Connection, store: Store) -> None:
    await store.upsert(
        conn, schema_table, [{"id": 1, "version": SCHEMA_VERSION, "written_by": __version__}]
    )


async def _reseed(conn: Connection, present: set[str], retired: Sequence[str]) -> str:
    """Drop every table of ours the database has; what went, table by table."""
    ours = [t.name for t in reversed(metadata.sorted_tables) if t.name in present]
    gone = [name for name in retired if name in present]
    dropped: list[str] = []
    for name in sorted([*gone, *ours]):
        rows = (await conn.execute(select(func.count()).select_from(table(name)))).scalar_one()
        if rows and name != schema_table.name:
            dropped.append(f"{name} {rows}")
    for name in gone:
        await conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    for dropping in reversed(metadata.sorted_tables):
        if dropping.name in present:
            await conn.execute(DropTable(dropping, if_exists=True))
    return "rows: " + ", ".join(dropped) if dropped else "no rows"


async def bring_up_to_date(
    conn: Connection, store: Store, others: Sequence[Migrations] = ()
) -> SchemaOutcome:
    """Create, migrate or re-seed the schema; SchemaTooNew when a newer release wrote it.
    `others` are the vendors' migrations, run after the core's step of each version.

    Run inside an exclusive write, so two processes starting at once on one
    database do this one after the other."""
    every = [CORE, *others]
    retired = [name for migrations in every for name in migrations.retired]
    present = await table_names(conn, store)
    ours = {t.name for t in metadata.sorted_tables} | set(retired)
    if schema_table.name in present:
        row = (await conn.execute(select(schema_table).where(schema_table.c.id == 1))).one_or_none()
        found: int | None = row.version if row is not None else 0
        written_by = row.written_by if row is not None else "unknown"
    elif present & ours:
        found, written_by = 1, "a release from before schema versions"
    else:
        found, written_by = None, __version__
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaTooNew(found, written_by)
    outcome = SchemaOutcome(found)
    versions = range(SCHEMA_VERSION if found is None else found, SCHEMA_VERSION)
    if versions and not all(version in CORE.steps for version in versions):
        outcome = SchemaOutcome(found, dropped=await _reseed(conn, present, retired))
        versions = range(0)
    await _create_missing_tables(conn)  # every table this version has, for the steps to fill
    for version in versions:
        for migrations in every:
            if (step := migrations.steps.get(version)) is not None:
                await step(conn, store)
    await _create_missing_indexes(conn)
    if versions:
        outcome = SchemaOutcome(found, migrated=True)
    if found != SCHEMA_VERSION:
        await _write_version(conn, store)
    return outcome
