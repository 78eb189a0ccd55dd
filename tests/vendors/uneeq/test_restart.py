"""State on a file database survives a restart of the server; edited fixtures apply."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, copy_of_fixtures, edit_fixture, in_process, make_settings
from tests.vendors.uneeq.conftest import DEMO, START_PATH, TOKEN_PATH, sdk_body, token_request
from token_emulator.testing import EmulatorProcess


def issue(http: httpx.Client) -> str:
    response = http.post(TOKEN_PATH, **token_request(sid="before-restart"))
    assert response.status_code == 200
    token: str = response.json()["token"]
    return token


def redeem(http: httpx.Client, token: str) -> int:
    return http.post(START_PATH, json=sdk_body(token)).status_code


def test_tokens_survive_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "emulator.sqlite3"
    with (
        EmulatorProcess(database, fixtures=FIXTURES) as before,
        httpx.Client(base_url=before.url) as http,
    ):
        pending = issue(http)
        redeemed = issue(http)
        assert redeem(http, redeemed) == 200
    assert before.process is not None and before.process.returncode == 0

    with (
        EmulatorProcess(database, fixtures=FIXTURES) as after,
        httpx.Client(base_url=after.url) as http,
    ):
        assert redeem(http, redeemed) == 401
        assert redeem(http, pending) == 200
        assert redeem(http, pending) == 401
        sessions = http.get("/_emulator/state/uneeq").json()["sessions"]
        assert sorted(s["token"] for s in sessions) == sorted([pending, redeemed])
        assert {s["sid"] for s in sessions} == {"before-restart"}


@pytest.mark.each_database
@pytest.mark.anyio
async def test_a_restart_applies_an_edited_secret_and_keeps_the_tokens(
    tmp_path: Path, database: str
) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    async for client in in_process(settings):
        issued = await client.post(TOKEN_PATH, **token_request())
        token = issued.json()["token"]
    new_secret = "edited-uneeq-secret-TEST-ONLY-0123456789"
    edit_fixture(fixtures, "uneeq.toml", DEMO["secret"], new_secret)
    async for client in in_process(settings):
        old = await client.post(TOKEN_PATH, **token_request())
        assert old.status_code == 401
        edited = await client.post(TOKEN_PATH, **token_request({**DEMO, "secret": new_secret}))
        assert edited.status_code == 200
        # Issued before the edit, for a workspace that is still there: still redeemable.
        assert (await client.post(START_PATH, json=sdk_body(token))).status_code == 200
