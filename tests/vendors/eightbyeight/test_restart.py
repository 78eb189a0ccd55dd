"""Rooms, tokens and the outbox on a file database survive a restart of the server;
edits to eightbyeight.toml apply at the restart."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import FIXTURES, copy_of_fixtures, edit_fixture, in_process, make_settings
from tests.vendors.eightbyeight.conftest import (
    AGENT,
    PHONE,
    ROOM_TTL,
    SECOND_AGENT,
    TOKEN_PATH,
    bearer,
    buy,
    freeze,
)
from token_emulator.testing import EmulatorProcess


def test_a_room_made_before_a_restart_is_served_after(tmp_path: Path) -> None:
    database = tmp_path / "emulator.sqlite3"
    with (
        EmulatorProcess(database, fixtures=FIXTURES) as before,
        httpx.Client(base_url=before.url) as http,
    ):
        answer = http.post(
            TOKEN_PATH,
            headers=bearer(),
            json={"create_room": True, "phone_number": PHONE, "call_reference": "survivor"},
        ).json()
        assert answer["guest_link"].startswith(f"{before.url}/8x8/guest/")
        login = {"user": AGENT, "token": answer["auth_token"]}
        assert http.get("/8x8/", params=login).status_code == 200
    assert before.process is not None and before.process.returncode == 0

    guest_path = urlsplit(answer["guest_link"]).path
    with (
        EmulatorProcess(database, fixtures=FIXTURES) as after,
        httpx.Client(base_url=after.url) as http,
    ):
        page = http.get(guest_path)
        assert page.status_code == 200 and "survivor" in page.text
        login = {"user": SECOND_AGENT, "token": answer["auth_token"]}
        assert http.get("/8x8/", params=login).status_code == 200
        calls = http.get("/8x8/api/v1/call-logs", headers={"x-token": answer["auth_token"]})
        [call] = calls.json()["calls"]
        assert call["call_reference"] == "survivor"
        assert [entry["email"] for entry in call["agent_logins"]] == [AGENT, SECOND_AGENT]
        assert len(http.get("/_emulator/state/8x8").json()["outbox"]) == 2


@pytest.mark.each_database
@pytest.mark.anyio
async def test_a_restart_applies_an_edited_room_lifetime_and_key_name(
    tmp_path: Path, database: str
) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    async for client in in_process(settings):
        await freeze(client)
        await buy(client, {"create_room": True})
    edit_fixture(
        fixtures, "eightbyeight.toml", f"room_ttl_seconds = {ROOM_TTL}", "room_ttl_seconds = 60"
    )
    edit_fixture(fixtures, "eightbyeight.toml", 'name = "demo"', 'name = "renamed"')
    async for client in in_process(settings):
        await buy(client, {"create_room": True})
        state = (await client.get("/_emulator/state/8x8")).json()
        assert state["room_ttl_seconds"] == 60
        lifetimes = [
            (token["api_key"], parse(token["expires_at"]) - parse(token["created_at"]))
            for token in state["tokens"]
        ]
        # The room bought before the restart keeps the lifetime it was bought with.
        assert lifetimes == [("renamed", ROOM_TTL), ("renamed", 60)]


def parse(instant: str) -> float:
    return datetime.fromisoformat(instant).timestamp()
