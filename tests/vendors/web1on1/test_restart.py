"""A restart on a kept database applies the entries edited in web1on1.toml since, and
leaves every other record as the API left it."""

from __future__ import annotations

import logging
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


CONVERSATION = "5f47d86c51755a001dc41e01"


async def test_an_edit_that_clashes_with_the_apis_changes_reseeds_web1on1_with_a_warning(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The conversation of a message edited in the file was deleted through the API, and
    a user added to the file has an email the API gave another user: the start goes on,
    the file wins, and one WARNING says why."""
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    async for client in in_process(settings):
        admin = bearer(await token_of(client, "admin"))
        deleted = await client.delete(f"/web1on1/v2/conversations/{CONVERSATION}", headers=admin)
        assert deleted.is_success
        made = await client.post(
            "/web1on1/v2/users",
            json={"email": "new@example.org", "password": "x-TEST-ONLY", "role": "agent"},
            headers=admin,
        )
        assert made.status_code == 201, made.headers.get("x-emulator-reason")
    edit_fixture(fixtures, "web1on1.toml", "Hello, how can we help?", "Hello again")
    caplog.set_level(logging.INFO, "token_emulator")
    async for client in in_process(settings):
        [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.startswith("web1on1 fixtures changed since the last start: 1 entry edited;")
        assert (
            "could not be applied to the state as it is (message '5f47d86c51755a001dc41f01'"
            in warning
        )
        assert warning.endswith("so web1on1's whole state was seeded afresh from its file")
        state = (await client.get("/_emulator/state/web1on1")).json()
        assert CONVERSATION in {c["_id"] for c in state["records"]["conversations"]}
        assert "new@example.org" not in {u["email"] for u in state["users"]}
    user = (
        '\n[[users]]\nid = "599e1fcd9da1c72645c95899"\norganization = "5f47d86c51755a001dc41b80"\n'
        'email = "new@example.org"\npassword = "file-TEST-ONLY"\nrole = "agent"\n'
    )
    async for client in in_process(settings):
        admin = bearer(await token_of(client, "admin"))
        made = await client.post(
            "/web1on1/v2/users",
            json={"email": "new@example.org", "password": "x-TEST-ONLY", "role": "agent"},
            headers=admin,
        )
        assert made.status_code == 201
    (fixtures / "web1on1.toml").write_text((fixtures / "web1on1.toml").read_text() + user)
    caplog.clear()
    async for client in in_process(settings):
        [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert "1 entry added; they could not be applied" in warning
        assert "UNIQUE" in warning or "unique" in warning
        login = {"email": "new@example.org", "password": "file-TEST-ONLY"}
        assert (await client.post(TOKEN_PATH, json=login)).status_code == 201
