"""Worlds live in the store: a restart on a kept database keeps them, a second process
on the database sees them and lets go of one deleted elsewhere, and a world nobody
asked for within its time to live goes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, copy_of_fixtures, in_process, make_settings
from tests.worlds.conftest import flow, in_world, use
from token_emulator.core.instants import real_time
from token_emulator.core.world import World
from token_emulator.core.worlds import Worlds
from token_emulator.vendors import all_vendors

pytestmark = pytest.mark.anyio

WORKSPACE = {
    "id": "given",
    "secret": "test-only-uneeq-secret-given-0123456789abcdef",
    "region": "us",
    "token_ttl_seconds": 60,
}


async def workspaces(http: httpx.AsyncClient) -> list[str]:
    return [w["id"] for w in (await http.get("/_emulator/state/uneeq")).json()["workspaces"]]


@pytest.mark.each_database
async def test_worlds_survive_a_restart_on_a_kept_database(tmp_path: Path, database: str) -> None:
    settings = make_settings(tmp_path, database=database)
    async for client in in_process(settings):
        body = {"name": "kept", "fixtures": {"uneeq": {"workspaces": [WORKSPACE]}}}
        assert (await client.post("/_emulator/worlds", json=body)).status_code == 201
        async with in_world(client, "kept") as kept:
            unspent = await flow(kept, "uneeq")
            await kept.post("/_emulator/clock", json={"advance": "1h"})
    async for client in in_process(settings):
        listed = [
            world["name"] for world in (await client.get("/_emulator/worlds")).json()["worlds"]
        ]
        assert listed == ["default", "kept"]
        async with in_world(client, "kept") as kept:
            assert (await kept.get("/_emulator/clock")).json()["offset_seconds"] >= 3600
            # The token issued before the restart, an hour of emulator time ago, is expired
            # (not unknown); the fixtures the world was made with outlive its reset.
            refused = await use(kept, "uneeq", unspent)
            assert refused.status_code == 401 and "expired" in refused.headers["x-emulator-reason"]
            assert (await kept.post("/_emulator/reset")).status_code == 200
            assert await workspaces(kept) == ["demo", "demo-eu", "given"]
        assert await workspaces(client) == ["demo", "demo-eu"]


async def test_a_world_whose_fixtures_no_longer_fit_the_files_is_served_on_the_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, fixtures_dir=fixtures)
    async for client in in_process(settings):
        body = {"name": "given", "fixtures": {"uneeq": {"workspaces": [WORKSPACE]}}}
        assert (await client.post("/_emulator/worlds", json=body)).status_code == 201
    # The files now hold a workspace of the same id: the world's own no longer fits.
    with (fixtures / "uneeq.toml").open("a") as file:
        file.write('\n[[workspaces]]\nid = "given"\nsecret = "' + "s" * 32 + '"\nregion = "eu"\n')
    async for client in in_process(settings):
        async with in_world(client, "given") as given:
            assert await workspaces(given) == ["demo", "demo-eu", "given"]
            await flow(given, "uneeq")
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith("world given: the fixtures it was made with no longer fit")
    assert "duplicate" in warning


@pytest.fixture
async def two_apps(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two emulators on one SQLite file in this process, as two servers would be."""
    settings = make_settings(tmp_path)
    first = in_process(settings)
    second = in_process(settings)
    try:
        yield await anext(first), await anext(second)
    finally:
        await second.aclose()
        await first.aclose()


async def test_a_second_process_sees_a_world_and_lets_go_of_it_once_deleted(
    two_apps: tuple[httpx.AsyncClient, httpx.AsyncClient], tmp_path: Path
) -> None:
    one, two = two_apps
    assert (await one.post("/_emulator/worlds", json={"name": "shared"})).status_code == 201
    async with in_world(one, "shared") as by_one, in_world(two, "shared") as by_two:
        found = await flow(by_one, "uneeq")
        [token] = (await by_two.get("/_emulator/state/uneeq")).json()["tokens"]
        assert token["status"] == "active"
        await by_one.post("/_emulator/clock", json={"advance": "1h"})
        assert (await by_two.get("/_emulator/clock")).json()["offset_seconds"] >= 3600
        files = sorted((tmp_path / "emulator.sqlite3.worlds").iterdir())
        assert (await one.delete("/_emulator/worlds/shared")).status_code == 200
        # The second process learns of it on its next request, a control call or a
        # vendor's, which goes to the world made anew under the name: its clock is
        # the real one, the token is unknown there.
        assert (await by_two.get("/_emulator/clock")).json()["offset_seconds"] == 0
        refused = await use(by_two, "uneeq", found)
        assert refused.status_code == 401, refused.text
        assert (await by_two.get("/_emulator/state/uneeq")).json()["tokens"] == []
    assert [world["name"] for world in (await one.get("/_emulator/worlds")).json()["worlds"]] == [
        "default",
        "shared",
    ]
    # The deleted incarnation's files are gone; the new one has its own.
    left = sorted((tmp_path / "emulator.sqlite3.worlds").iterdir())
    assert not set(files) & set(left)


@pytest.fixture
async def server_world(tmp_path: Path) -> AsyncIterator[World]:
    world = await World.open(all_vendors(), fixtures_dir=FIXTURES, database=str(tmp_path / "e.db"))
    try:
        yield world
    finally:
        await world.close()


async def test_upkeep_deletes_the_worlds_nobody_asked_within_the_ttl(server_world: World) -> None:
    worlds = Worlds(server_world, ttl_seconds=3600)
    try:
        made = real_time()
        await worlds.create("stale")
        fresh = await worlds.create("fresh")
        fresh.last_request = made + 3000  # asked 50 minutes after both were made
        assert await worlds.upkeep(made + 3602) == ["stale"]
        assert [world["name"] for world in await worlds.listing()] == ["default", "fresh"]
        # An hour after its last request it goes too; the default world never does.
        assert await worlds.upkeep(made + 3000 + 3602) == ["fresh"]
        assert [world["name"] for world in await worlds.listing()] == ["default"]
    finally:
        await worlds.close()


def descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_idle_worlds_close_their_stores_and_reopen_on_use(server_world: World) -> None:
    worlds = Worlds(server_world, max_open=4)
    try:
        before = descriptors()
        first = await worlds.create("first")
        await first.clock.advance(42)
        for number in range(40):
            await worlds.create(f"world-{number}")
        # Forty worlds, four stores open (each SQLite store holds a few descriptors).
        assert descriptors() - before < 4 * 10
        assert worlds.opened("first") is None  # closed, as the least recently used
        reopened = await worlds.find("first", create=False)
        assert reopened is first
        assert (await first.clock.read()).offset_seconds == 42
    finally:
        await worlds.close()


async def test_a_world_closed_here_and_deleted_elsewhere_is_made_anew(
    server_world: World, tmp_path: Path
) -> None:
    other_process = await World.open(
        all_vendors(), fixtures_dir=FIXTURES, database=str(tmp_path / "e.db")
    )
    here, there = Worlds(server_world, max_open=1), Worlds(other_process)
    try:
        first = await here.create("first")
        await first.clock.advance(3600)
        await here.create("second")  # "first" is closed here now, the least recently used
        assert here.opened("first") is None
        await there.delete("first")
        again = await here.find("first", create=True)
        assert again is not None and again is not first
        assert (await again.clock.read()).offset_seconds == pytest.approx(0, abs=1)
    finally:
        await here.close()
        await there.close()
        await other_process.close()


async def test_a_world_deleted_while_a_request_is_inside_closes_after_it(
    server_world: World, tmp_path: Path
) -> None:
    worlds = Worlds(server_world)
    try:
        busy = await worlds.create("busy")
        busy.enter()  # a request inside it
        await worlds.delete("busy")  # answers at once
        assert [world["name"] for world in await worlds.listing()] == ["default"]
        assert (await busy.clock.read()).offset_seconds == 0  # its store still serves it
        files = list((tmp_path / "e.db.worlds").iterdir())
        assert any(path.name.startswith("busy-") for path in files)
        busy.leave()
        for _ in range(100):
            await asyncio.sleep(0)
            if not any(p.name.startswith("busy-") for p in (tmp_path / "e.db.worlds").iterdir()):
                break
        assert not any(p.name.startswith("busy-") for p in (tmp_path / "e.db.worlds").iterdir())
    finally:
        await worlds.close()
