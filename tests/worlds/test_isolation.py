"""A world is a whole emulator of its own: what one makes, moves, arms, adds or resets
is nowhere in another, nor in the default world."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.vendors.web1on1.conftest import USERS
from tests.worlds.conftest import USES, flow, in_world, use

pytestmark = pytest.mark.anyio


async def state(http: httpx.AsyncClient, vendor: str) -> dict[str, Any]:
    answer = await http.get(f"/_emulator/state/{vendor}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    found.pop("now", None)  # the clock's reading, later at each call
    return found


async def statuses(http: httpx.AsyncClient) -> list[tuple[str | None, int]]:
    entries = (await http.get("/_emulator/requests")).json()["requests"]
    return [(entry["route"], entry["status"]) for entry in reversed(entries)]


@pytest.mark.each_database
@pytest.mark.parametrize("vendor", sorted(USES))
async def test_what_one_world_made_is_unknown_in_another(
    client: httpx.AsyncClient, vendor: str
) -> None:
    async with in_world(client, "alpha") as alpha, in_world(client, "beta") as beta:
        untouched = await state(client, vendor)
        found = await flow(alpha, vendor)
        for other in (beta, client):
            refused = await use(other, vendor, found)
            assert refused.status_code == USES[vendor].elsewhere, refused.text
        used = await use(alpha, vendor, found)
        assert used.status_code == 200, used.text
        assert await state(beta, vendor) == untouched
        assert await state(client, vendor) == untouched
        assert await state(alpha, vendor) != untouched
        # Each journal holds its own world's requests alone.
        assert [status for _route, status in await statuses(beta)] == [USES[vendor].elsewhere]
        assert [status for _route, status in await statuses(client)] == [USES[vendor].elsewhere]
        assert (await statuses(alpha))[-1][1] == 200


WORKSPACE = {
    "id": "only-in-alpha",
    "secret": "test-only-uneeq-secret-alpha-0123456789abcdef",
    "region": "us",
    "token_ttl_seconds": 60,
}


@pytest.mark.each_database
async def test_reset_clock_faults_and_fixtures_stay_in_their_world(
    client: httpx.AsyncClient,
) -> None:
    async with in_world(client, "alpha") as alpha, in_world(client, "beta") as beta:
        kept = await flow(beta, "uneeq")  # in beta, before anything happens in alpha
        assert (await alpha.post("/_emulator/reset")).status_code == 200
        assert (await alpha.post("/_emulator/clock", json={"advance": "2h"})).status_code == 200
        fault = {"vendor": "uneeq", "route": "token", "status": 503, "times": 10}
        assert (await alpha.post("/_emulator/faults", json=fault)).status_code == 201
        added = {"vendor": "uneeq", "fixtures": {"workspaces": [WORKSPACE]}}
        assert (await alpha.post("/_emulator/fixtures", json=added)).status_code == 201
        for other in (beta, client):
            assert (await other.get("/_emulator/clock")).json()["offset_seconds"] == 0
            assert (await other.get("/_emulator/faults")).json() == {"faults": []}
            workspaces = (await state(other, "uneeq"))["workspaces"]
            assert [w["id"] for w in workspaces] == ["demo", "demo-eu"]
            await flow(other, "uneeq")  # no fault here
        # alpha's reset emptied neither beta's journal nor its state.
        assert (await statuses(beta))[0] == ("uneeq:token", 200)
        assert (await use(beta, "uneeq", kept)).status_code == 200
        assert (await alpha.get("/_emulator/clock")).json()["offset_seconds"] >= 7200
        forced = await alpha.post(
            "/uneeq/api/v1/clients/access/tokens",
            headers={"workspace": "demo", "content-type": "application/jwt"},
            content=b"x",
        )
        assert forced.status_code == 503
        assert "only-in-alpha" in [w["id"] for w in (await state(alpha, "uneeq"))["workspaces"]]


@pytest.mark.each_database
async def test_rate_limit_windows_are_each_worlds_own(client: httpx.AsyncClient) -> None:
    login = {"email": USERS["agent"]["email"], "password": USERS["agent"]["password"]}
    async with in_world(client, "alpha") as alpha, in_world(client, "beta") as beta:
        instant = {"set": "2030-01-01T00:00:00Z", "freeze": True}
        for world in (alpha, beta):  # both in the same emulator second
            assert (await world.post("/_emulator/clock", json=instant)).status_code == 200
        answers = [
            (await alpha.post("/web1on1/v2/auth/token", json=login)).status_code for _ in range(21)
        ]
        assert answers == [201] * 20 + [429]
        assert (await beta.post("/web1on1/v2/auth/token", json=login)).status_code == 201
