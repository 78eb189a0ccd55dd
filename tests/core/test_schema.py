"""Schema versions: every database records one; older ones are migrated or re-seeded,
newer ones refused in one line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import copy_of_fixtures, edit_fixture, in_process, make_settings
from tests.vendors.uneeq.conftest import START_PATH, sdk_body
from tests.vendors.web1on1.conftest import DEMO_ORG, USERS
from token_emulator import __version__
from token_emulator.adapters.uvicorn import STARTUP_FAILURE
from token_emulator.core.clock import REAL_CLOCK_ROW
from token_emulator.core.storage import metadata
from token_emulator.core.storage.schema import SCHEMA_VERSION, schema_table
from token_emulator.testing import web1on1_login
from token_emulator.vendors.uneeq.tables import tokens, workspaces
from token_emulator.vendors.web1on1.backend import new_login
from token_emulator.vendors.web1on1.tables import logins, records

pytestmark = pytest.mark.anyio

# What version 2 added; version 1 had web1on1_seeded, which version 2 dropped.
ADDED_IN_2 = {"emulator_schema", "emulator_applied_fixtures", "web1on1_settings"}
ADDED_IN_3 = {"emulator_admin_sessions"}
ADDED_IN_4 = {"emulator_worlds"}
ADDED_IN_5 = {"emulator_added_entries"}
COLUMNS_ADDED = {
    "emulator_clock": {"fixture_version", "retired"},  # in versions 2 and 4
    "emulator_added_fixtures": {"entries", "size", "settings", "keyed_by"},  # in version 5
}
ADDED_TABLES = ADDED_IN_2 | ADDED_IN_3 | ADDED_IN_4 | ADDED_IN_5
FAR_FUTURE = 4_000_000_000.0
TOKEN = "token-from-before-the-upgrade"
API_PASSWORD = "changed-through-the-API"
CARLA = "5f47d86c51755a001dc41d01"


def previous_schema() -> MetaData:
    """Schema 1, the last without a recorded version: this schema without the tables and
    columns versions 2 to 5 added, with the table 2 dropped."""
    old = MetaData()
    for table in metadata.sorted_tables:
        if table.name in ADDED_TABLES:
            continue
        added = COLUMNS_ADDED.get(table.name, set())
        kept = [
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
            if c.name not in added
        ]
        if added:
            Table(table.name, old, *kept)
        else:
            table.to_metadata(old)
    Table("web1on1_seeded", old, Column("id", Integer, primary_key=True))
    return old


def async_url(database: str) -> str:
    return database if "://" in database else f"sqlite+aiosqlite:///{database}"


async def build_previous(database: str) -> None:
    """A database as version 1 left it: a seeded UneeQ workspace with a token not yet
    redeemed, web1on1 marked seeded, the clock's row."""
    engine = create_async_engine(async_url(database))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)  # PostgreSQL's template has schema 2
            old = previous_schema()
            await conn.run_sync(old.create_all)
            added = COLUMNS_ADDED["emulator_clock"]
            clock = {k: v for k, v in REAL_CLOCK_ROW.items() if k not in added}
            await conn.execute(insert(old.tables["emulator_clock"]).values(clock))
            await conn.execute(insert(old.tables["web1on1_seeded"]).values(id=1))
            workspace = {"id": "demo", "secret": "old", "region": "us", "token_ttl_seconds": 300}
            await conn.execute(insert(old.tables[workspaces.name]).values(workspace))
            await conn.execute(
                insert(old.tables[tokens.name]).values(
                    token=TOKEN,
                    workspace_id="demo",
                    region="us",
                    sid="before",
                    issued_at=1.0,
                    expires_at=FAR_FUTURE,
                )
            )
            # web1on1 as its API left it: the admin's password changed, a contact renamed.
            admin = USERS["admin"]
            login = new_login(admin["id"], admin["email"], API_PASSWORD, "admin", DEMO_ORG)
            await conn.execute(insert(old.tables[logins.name]).values(login))
            contact = {"_id": CARLA, "name": "Carla, renamed through the API"}
            await conn.execute(
                insert(old.tables[records.name]).values(
                    kind="contacts", id=CARLA, organization=DEMO_ORG, record=json.dumps(contact)
                )
            )
    finally:
        await engine.dispose()


async def table_names(database: str) -> set[str]:
    engine = create_async_engine(async_url(database))
    try:
        async with engine.connect() as conn:

            def names(sync: object) -> set[str]:
                from sqlalchemy import inspect

                return set(inspect(sync).get_table_names())

            return await conn.run_sync(names)
    finally:
        await engine.dispose()


async def stored_version(database: str) -> tuple[int, str]:
    engine = create_async_engine(async_url(database))
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(select(schema_table))).one()
            return row.version, row.written_by
    finally:
        await engine.dispose()


async def set_version(database: str, version: int, written_by: str = __version__) -> None:
    engine = create_async_engine(async_url(database))
    try:
        async with engine.begin() as conn:
            await conn.execute(update(schema_table).values(version=version, written_by=written_by))
    finally:
        await engine.dispose()


async def redeem(client: httpx.AsyncClient, token: str) -> int:
    response = await client.post(START_PATH, json=sdk_body(token))
    return response.status_code


def start_up_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "token_emulator.app"]


@pytest.mark.each_database
async def test_a_new_database_records_the_schema_version(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "token_emulator")
    async for _client in in_process(make_settings(tmp_path, database=database)):
        pass
    assert await stored_version(database) == (SCHEMA_VERSION, __version__)


@pytest.mark.each_database
async def test_a_database_of_the_previous_schema_is_migrated_and_keeps_its_state(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    await build_previous(database)
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    caplog.set_level(logging.INFO, "token_emulator")
    async for client in in_process(settings):
        first = start_up_lines(caplog)[0]
        assert first.endswith(f"(schema version {SCHEMA_VERSION}, migrated from 1)"), first
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        # The token issued before the upgrade is still there, and redeems once.
        assert await redeem(client, TOKEN) == 200
        assert await redeem(client, TOKEN) == 401
        # Version 1 recorded no fixture entries: UneeQ's are written again (the file's
        # secret replaces the one stored); web1on1's state, the API's, is kept as it is.
        workspace = (await client.get("/_emulator/state/uneeq")).json()["workspaces"][0]
        assert workspace["secret"].startswith("test")
        assert [line for line in start_up_lines(caplog) if line.startswith("web1on1:")] == [
            "web1on1: the database recorded no fixture entries (it is older than schema 2), "
            "so its state is kept as the API left it; edits made to the file before this "
            "start are not applied, later ones are"
        ]
        assert await log_in(client, API_PASSWORD) == 201
        assert await log_in(client, USERS["admin"]["password"]) == 401
        records = (await client.get("/_emulator/state/web1on1")).json()["records"]
        assert records["contacts"] == [{"_id": CARLA, "name": "Carla, renamed through the API"}]
    assert await stored_version(database) == (SCHEMA_VERSION, __version__)
    names = await table_names(database)
    assert "web1on1_seeded" not in names
    assert names >= ADDED_IN_2
    # From now on the file's edits apply at a restart.
    edit_fixture(fixtures, "web1on1.toml", 'password = "t0pZ3kR3t"', 'password = "edited-later"')
    async for client in in_process(settings):
        assert await log_in(client, "edited-later") == 201


async def log_in(client: httpx.AsyncClient, password: str) -> int:
    body = {"email": USERS["admin"]["email"], "password": password}
    return (await client.post("/web1on1/v2/auth/token", json=body)).status_code


@pytest.mark.each_database
async def test_a_database_of_a_version_without_a_migration_is_reseeded_with_one_warning(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, database=database)
    async for client in in_process(settings):
        assert "token" in await web1on1_login(client)
    await set_version(database, 0)  # what no step leads from: re-seeded
    caplog.set_level(logging.INFO, "token_emulator")
    async for client in in_process(settings):
        lines = start_up_lines(caplog)
        assert lines[0].endswith(f"(schema version {SCHEMA_VERSION}, re-seeded (was 0))")
        [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
        text = warning.getMessage()
        assert text.startswith(
            f"the database held schema version 0, which token-emulator {__version__} cannot "
            f"migrate to version {SCHEMA_VERSION}: its state was dropped (rows: "
        ), text
        assert "web1on1_access_tokens 1" in text and "web1on1_refresh_tokens 1" in text
        assert text.endswith(") and seeded afresh from the fixtures")
        state = (await client.get("/_emulator/state/web1on1")).json()
        assert state["chains"] == []
        assert "token" in await web1on1_login(client)  # seeded afresh
    assert await stored_version(database) == (SCHEMA_VERSION, __version__)


async def test_a_database_of_a_newer_release_is_refused_in_one_line(tmp_path: Path) -> None:
    """Found by `serve`, which exits as for any database it cannot start on."""
    database = str(tmp_path / "emulator.sqlite3")
    async for _client in in_process(make_settings(tmp_path, database=database)):
        pass
    await set_version(database, SCHEMA_VERSION + 1, "9.9.9")
    done = subprocess.run(  # noqa: ASYNC221 - the test waits for serve to exit
        [sys.executable, "-m", "token_emulator", "serve", "--port", "0", "--database", database],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == STARTUP_FAILURE, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 2, done.stderr[-2000:]
    assert errors[0].split("ERROR uvicorn.error: ", 1)[1] == (
        f"cannot start on the database {database}: it holds schema version "
        f"{SCHEMA_VERSION + 1} (written by token-emulator 9.9.9); token-emulator "
        f"{__version__} reads schema version {SCHEMA_VERSION} and older: start a newer "
        "release, or give another --database"
    )
    assert errors[1].endswith("Application startup failed. Exiting.")
    assert "Traceback" not in done.stderr
    # Refused, not changed: the newer release's database is left as it was.
    assert await stored_version(database) == (SCHEMA_VERSION + 1, "9.9.9")


def test_the_previous_schema_differs_from_this_one_only_as_written_down() -> None:
    """If a table changes, SCHEMA_VERSION and its migration must change with it."""
    now = {table.name for table in metadata.sorted_tables}
    old = previous_schema()
    before = set(old.tables)
    assert now - before == ADDED_TABLES
    assert before - now == {"web1on1_seeded"}
    for name, columns in COLUMNS_ADDED.items():
        assert columns <= set(metadata.tables[name].columns.keys())
        assert not columns & set(old.tables[name].columns.keys())
    assert SCHEMA_VERSION == 5
