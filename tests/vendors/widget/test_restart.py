"""A restart on a kept database applies the edits made to widget.toml since."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import copy_of_fixtures, edit_fixture, in_process, make_settings
from tests.vendors.widget.conftest import (
    GUEST,
    IPV4_ONLY_KEY,
    KEY,
    ORIGIN,
    guest_token,
    session_token,
)

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]


async def test_a_restart_applies_an_edited_allowlist_and_keeps_the_sessions(
    tmp_path: Path, database: str
) -> None:
    fixtures = copy_of_fixtures(tmp_path)
    settings = make_settings(tmp_path, database=database, fixtures_dir=fixtures)
    async for client in in_process(settings):
        refused = await client.post(GUEST, json={"client_key": IPV4_ONLY_KEY}, headers=ORIGIN)
        assert refused.status_code == 403
        visitor = await guest_token(client, KEY)
    edit_fixture(
        fixtures, "widget.toml", 'allowlist = ["127.0.0.1:*"]', 'allowlist = ["localhost:*"]'
    )
    async for client in in_process(settings):
        await guest_token(client, IPV4_ONLY_KEY)  # http://localhost:3000 is allowed now
        # A visitor token issued before the restart, by a key not edited, still exchanges.
        await session_token(client, visitor, KEY)
