"""Rooms, tokens and the outbox on a file database survive a restart of the server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.conftest import FIXTURES
from tests.vendors.eightbyeight.conftest import AGENT, PHONE, SECOND_AGENT, TOKEN_PATH, bearer
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
