"""What may make a world: a well-formed name, asked by whoever may ask. Anything else is
refused (404 or 400, 401 or 403 as the guards say) and makes none."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import in_process, make_settings

pytestmark = pytest.mark.anyio

TOKEN = "worlds-admin-token-0123456789"


async def names(client: httpx.AsyncClient, token: str | None = None) -> list[str]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    listed = (await client.get("/_emulator/worlds", headers=headers)).json()["worlds"]
    return [world["name"] for world in listed]


UNKNOWN_CONTROL_CALL = "/worlds/abc/_emulator/no-such-call"
HOSTILE_PATHS = [
    "/worlds/" + "a" * 64 + "/_emulator/clock",  # over 63 characters
    "/worlds/%2e%2e/_emulator/clock",  # "..", escaped past the client's own clean-up
    "/worlds/a%2Fb/_emulator/clock",  # an escaped slash: "a", then "b/_emulator/clock"
    "/worlds/%61bc/_emulator/clock",  # "abc" written with an escape
    "/worlds/ABC/_emulator/clock",
    "/worlds/w%C3%B6rld/_emulator/clock",  # non-ASCII
    "/worlds/-a/_emulator/clock",
    "/worlds/abc",
    "/worlds/abc/",
    "/worlds/abc/nothing-served-here",
    "/worlds/abc/uneeq/no-such-route",  # a vendor's prefix, but no route of it
    UNKNOWN_CONTROL_CALL,
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
async def test_a_hostile_world_path_is_refused_and_makes_nothing(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404, answer.text
    assert await names(client) == ["default"]
    journal = (await client.get("/_emulator/requests")).json()["requests"]
    if path == UNKNOWN_CONTROL_CALL:
        assert journal == []  # a control call is logged, not journaled
    else:
        [entry] = journal
        assert entry["status"] == 404 and entry["reason"]


@pytest.mark.parametrize("name", ["A", "a" * 64, "..", "-a", "a_b", "wörld", "", " a"])
async def test_a_hostile_name_to_create_is_refused(client: httpx.AsyncClient, name: str) -> None:
    answer = await client.post("/_emulator/worlds", json={"name": name})
    assert answer.status_code == 400, answer.text
    assert "1 to 63 characters of a-z, 0-9 and '-'" in answer.json()["error"]
    if name != "..":  # which httpx resolves away, escaped or not, before sending
        escaped = quote(name or "x", safe="")
        assert (await client.delete(f"/_emulator/worlds/{escaped}")).status_code == 404
    assert await names(client) == ["default"]


async def test_worlds_are_managed_at_the_server_not_inside_a_world(
    client: httpx.AsyncClient,
) -> None:
    inside = await client.get("/worlds/abc/_emulator/worlds")
    assert inside.status_code == 404
    assert "not inside a world" in inside.json()["error"]
    assert (await client.post("/_emulator/worlds", json={"name": "abc"})).status_code == 409
    refused = await client.delete("/_emulator/worlds/default")
    assert refused.status_code == 400 and "reset it instead" in refused.json()["error"]


async def test_the_admin_token_guards_every_world_control_plane(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, admin_token=TOKEN)
    async for client in in_process(settings):
        for path in ("/worlds/abc/_emulator/clock", "/worlds/abc/_emulator/health"):
            refused = await client.get(path)
            assert refused.status_code == 401, refused.text
        assert (await client.post("/_emulator/worlds", json={"name": "abc"})).status_code == 401
        assert await names(client, TOKEN) == ["default"]  # none made
        bearer = {"authorization": f"Bearer {TOKEN}"}
        allowed = await client.get("/worlds/abc/_emulator/clock", headers=bearer)
        assert allowed.status_code == 200
        # Vendor paths need no admin token, in a world as outside one.
        config = await client.get(
            "/worlds/other/widget/api/v1/widget/config",
            params={"client_key": "pk_live_acme_TESTONLYmain0001"},
            headers={"origin": "http://localhost:3000"},
        )
        assert config.status_code == 200, config.text
        assert await names(client, TOKEN) == ["default", "abc", "other"]


async def test_the_request_guard_refuses_before_a_world_is_made(client: httpx.AsyncClient) -> None:
    rebound = await client.get(
        "/worlds/abc/uneeq/api/v1/clients/access/tokens", headers={"host": "attacker.example"}
    )
    assert rebound.status_code == 403
    cross_site = await client.post(
        "/worlds/abc/_emulator/reset", headers={"origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    assert await names(client) == ["default"]
