"""A restart on a kept database applies the entries edited in web1on1.toml since, and
leaves every other record as the API left it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import copy_of_fixtures, edit_fixture, in_process, make_settings
from tests.vendors.web1on1.conftest import TOKEN_PATH, USERS, bearer, token_of

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]

CONTACTS = "/web1on1/v2/contacts"
CARLA = "5f47d86c51755a001dc41d01"
BOB = "5f47d86c51755a001dc41d02"
NEW_PASSWORD = "edited-TEST-ONLY"


async def log_in(client: httpx.AsyncClient, password: str) -> int:
    body = {"email": USERS["admin"]["email"], "password": password}
    return (await client.post(TOKEN_PATH, json=body)).status_code


async def contact(client: httpx.AsyncClient, contact_id: str) -> httpx.Response:
    bot = await token_of(client, "bot")  # the admin's password is what the test edits
    return await client.get(f"{CONTACTS}/{contact_id}", headers=bearer(bot))


async def test_a_restart_applies_an_edited_password_and_keeps_what_the_api_changed(
    tmp_path: Path, database: str
) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    async for client in in_process(settings):
        admin = await token_of(client, "admin")
        renamed = await client.patch(
            f"{CONTACTS}/{CARLA}", json={"name": "Carla, renamed"}, headers=bearer(admin)
        )
        assert renamed.status_code == 200
        assert (await client.delete(f"{CONTACTS}/{BOB}", headers=bearer(admin))).is_success
    edit_fixture(
        fixtures,
        "web1on1.toml",
        f'password = "{USERS["admin"]["password"]}"',
        f'password = "{NEW_PASSWORD}"',
    )
    async for client in in_process(settings):
        assert await log_in(client, NEW_PASSWORD) == 201
        assert await log_in(client, USERS["admin"]["password"]) == 401
        # Entries not edited in the file stay as the API left them.
        assert (await contact(client, CARLA)).json()["name"] == "Carla, renamed"
        assert (await contact(client, BOB)).status_code == 404
    # An edit of the renamed contact's own entry wins over the API's change.
    edit_fixture(
        fixtures, "web1on1.toml", 'name = "Carla Contact"', 'name = "Carla, from the file"'
    )
    async for client in in_process(settings):
        assert (await contact(client, CARLA)).json()["name"] == "Carla, from the file"
        assert (await contact(client, BOB)).status_code == 404
        assert await log_in(client, NEW_PASSWORD) == 201


async def test_a_restart_applies_an_edited_setting(tmp_path: Path, database: str) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    async for client in in_process(settings):
        await client.post("/_emulator/clock", json={"freeze": True})
        statuses = [(await client.get(CONTACTS)).status_code for _ in range(25)]
        assert 429 in statuses
    edit_fixture(
        fixtures, "web1on1.toml", "rate_limit_per_second = 20", "rate_limit_per_second = 0"
    )
    async for client in in_process(settings):
        statuses = [(await client.get(CONTACTS)).status_code for _ in range(40)]
        assert set(statuses) == {401}
