"""API-key tokens: scopes fixed at creation and cascading, no expiry, revocable
(docs/vendors/web1on1.md)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import last_request
from tests.vendors.web1on1.conftest import (
    DAY,
    USERS,
    api_keys,
    bearer,
    claims_of,
    fixture_dir,
    login,
    state,
    token_of,
)
from token_emulator.core.fixtures import FixtureError
from token_emulator.core.world import load_fixtures
from token_emulator.vendors.web1on1.server import VENDOR as WEB1ON1

pytestmark = pytest.mark.anyio

BOT_KEY = "5f47d86c51755a001dc41c01"  # scopes ["bot"], user: the demo bot
AGENT_KEY = "5f47d86c51755a001dc41c02"  # scopes ["agent", "guest"], user: the admin


async def test_api_key_tokens_carry_their_scopes_array_and_no_expiry(
    client: httpx.AsyncClient,
) -> None:
    keys = await api_keys(client)
    claims = claims_of(keys[AGENT_KEY]["token"])
    assert claims["scopes"] == ["agent", "guest"]
    assert claims["_id"] == USERS["admin"]["id"]
    assert "exp" not in claims and "scope" not in claims
    assert keys[AGENT_KEY]["revoked_at"] is None


async def test_the_same_key_gives_the_same_token_across_resets(client: httpx.AsyncClient) -> None:
    before = (await api_keys(client))[BOT_KEY]["token"]
    await client.post("/_emulator/reset")
    assert (await api_keys(client))[BOT_KEY]["token"] == before


async def test_scopes_cascade_and_a_key_is_no_more_than_its_scopes(
    client: httpx.AsyncClient,
) -> None:
    keys = await api_keys(client)
    agent_key, bot_key = keys[AGENT_KEY]["token"], keys[BOT_KEY]["token"]
    # The admin's key has agent scope only: agent's rights, not the admin's.
    assert (await client.get("/web1on1/v2/contacts", headers=bearer(agent_key))).status_code == 200
    refused = await client.get("/web1on1/v2/users", headers=bearer(agent_key))
    assert refused.status_code == 403
    assert "may not list users" in (await last_request(client))["reason"]
    # bot includes agent and guest: a guest-only and an agent-only right, and a bot one.
    for path in ("/web1on1/v2/conversations", "/web1on1/v2/kbitems", "/web1on1/v2/users"):
        assert (await client.get(path, headers=bearer(bot_key))).status_code == 200
    assert (await client.get("/web1on1/v2/services", headers=bearer(bot_key))).status_code == 403


async def test_api_key_tokens_outlive_any_clock_move(client: httpx.AsyncClient) -> None:
    token = (await api_keys(client))[BOT_KEY]["token"]
    await client.post("/_emulator/clock", json={"advance": 3650 * DAY})
    assert (await client.get("/web1on1/v2/contacts", headers=bearer(token))).status_code == 200


async def test_revoking_a_key_refuses_its_token(client: httpx.AsyncClient) -> None:
    token = (await api_keys(client))[BOT_KEY]["token"]
    response = await client.delete(f"/_emulator/web1on1/api-keys/{BOT_KEY}")
    assert response.status_code == 200
    assert response.json()["revoked_at"] == "2030-03-17T17:46:40.000Z"
    refused = await client.get("/web1on1/v2/contacts", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json() == {"error": {"message": "invalid token"}}
    assert "revoked" in (await last_request(client, vendor="web1on1"))["reason"]
    keys = {key["id"]: key for key in (await state(client))["api_keys"]}
    assert keys[BOT_KEY]["status"] == "revoked"
    assert keys[AGENT_KEY]["status"] == "active"
    # A reset brings the key back, as the fixtures describe it.
    await client.post("/_emulator/reset")
    assert (await api_keys(client))[BOT_KEY]["revoked_at"] is None


async def test_revoking_an_unknown_key_is_a_control_404(client: httpx.AsyncClient) -> None:
    response = await client.delete("/_emulator/web1on1/api-keys/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "no web1on1 API key 'nope'"}


async def test_a_deleted_users_tokens_stop_working(client: httpx.AsyncClient) -> None:
    keys = await api_keys(client)
    admin = (
        await client.post(
            "/web1on1/v2/auth/token",
            json={"email": USERS["admin"]["email"], "password": USERS["admin"]["password"]},
        )
    ).json()["token"]
    deleted = await client.delete(f"/web1on1/v2/users/{USERS['bot']['id']}", headers=bearer(admin))
    assert deleted.status_code == 200
    refused = await client.get("/web1on1/v2/contacts", headers=bearer(keys[BOT_KEY]["token"]))
    assert refused.status_code == 401
    assert "no longer exists" in (await last_request(client, vendor="web1on1"))["reason"]


async def test_a_demoted_users_tokens_and_keys_drop_to_the_new_role(
    client: httpx.AsyncClient,
) -> None:
    keys = await api_keys(client)
    admin = await token_of(client, "admin")
    bot = await token_of(client, "bot")  # never expires
    demoted = await client.patch(
        f"/web1on1/v2/users/{USERS['bot']['id']}", json={"role": "guest"}, headers=bearer(admin)
    )
    assert demoted.status_code == 200
    for token in (bot, keys[BOT_KEY]["token"]):
        response = await client.get("/web1on1/v2/users", headers=bearer(token))
        assert response.status_code == 403
        assert "'guest' may not list users" in (await last_request(client))["reason"]


async def test_an_api_key_cannot_go_beyond_its_users_role(tmp_path: Path) -> None:
    directory = fixture_dir(tmp_path)
    with (directory / "web1on1.toml").open("a") as toml:
        toml.write(
            '\n[[api_keys]]\nid = "k9"\nuser = "599e1fcd9da1c72645c95881"\nscopes = ["admin"]\n'
        )
    with pytest.raises(FixtureError) as raised:
        load_fixtures(directory, [WEB1ON1])
    assert str(raised.value) == (
        "web1on1.toml: api_keys[2] (id 'k9'): field 'scopes': "
        "scopes go beyond its user's role, guest"
    )


async def test_an_api_key_cannot_refresh_with_get(client: httpx.AsyncClient) -> None:
    keys = await api_keys(client)
    issued = await login(client, "admin")
    response = await client.get(
        "/web1on1/v2/auth/token",
        params={"refreshToken": issued["refreshToken"]},
        headers=bearer(keys[AGENT_KEY]["token"]),
    )
    assert response.status_code == 401
    assert "not API key" in (await last_request(client))["reason"]


async def test_revoking_a_users_tokens(client: httpx.AsyncClient) -> None:
    issued = await login(client, "bot")
    response = await client.delete(f"/_emulator/web1on1/users/{USERS['bot']['id']}/tokens")
    assert response.status_code == 200
    assert response.json() == {"user": USERS["bot"]["id"], "revoked_access_tokens": 1}
    refused = await client.get("/web1on1/v2/contacts", headers=bearer(issued["token"]))
    assert refused.status_code == 401
    refresh = await client.post(
        "/web1on1/v2/auth/token",
        json={"refreshToken": issued["refreshToken"], "clientId": USERS["bot"]["email"]},
    )
    assert refresh.status_code == 401
    unknown = await client.delete("/_emulator/web1on1/users/nobody/tokens")
    assert unknown.status_code == 404
