"""A restart on a kept database applies the edits made to unifize.toml since."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import copy_of_fixtures, edit_fixture, in_process, make_settings
from tests.vendors.unifize.conftest import NOW, NOW_ISO, access_token
from token_emulator.testing import unifize_assertion

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]

TOKENINFO = "/unifize/application/tokeninfo"


@pytest.mark.parametrize("ttl", [3600, 60], ids=["unedited", "edited"])
async def test_a_restart_applies_an_edited_access_token_lifetime(
    tmp_path: Path, database: str, ttl: int
) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    async for client in in_process(settings):
        await client.post("/_emulator/clock", json={"freeze": True})
        await client.post("/_emulator/clock", json={"set": NOW_ISO})
        before = await access_token(client, unifize_assertion(issued_at=NOW))
    edit_fixture(
        fixtures,
        "unifize.toml",
        "access_token_ttl_seconds = 3600",
        f"access_token_ttl_seconds = {ttl}",
    )
    async for client in in_process(settings):
        after = await access_token(client, unifize_assertion(issued_at=NOW))
        info = (await client.post(TOKENINFO, json={"token": after})).json()
        assert info["expiry"] == (NOW + ttl) * 1000
        # The token bought before the restart keeps the lifetime it was issued with.
        kept = (await client.post(TOKENINFO, json={"token": before})).json()
        assert kept["expiry"] == (NOW + 3600) * 1000
