"""The whole Unifize flow with a key pair made by the test and registered in its own fixtures."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from tests.conftest import in_process, make_settings
from tests.vendors.unifize.conftest import app_toml, bearer, fixture_dir_with
from token_emulator.testing import unifize_assertion

pytestmark = pytest.mark.anyio


async def test_fresh_key_pair_full_flow_and_rotation(tmp_path: Path) -> None:
    old, new = RSAKey.generate_key(2048), RSAKey.generate_key(2048)
    # App 150 is mid-rotation: both public keys registered, one inline and one as a file.
    directory = fixture_dir_with(tmp_path, app_toml(150, old.as_pem().decode()))
    (directory / "app-150-new.pem").write_bytes(new.as_pem())
    toml = (directory / "unifize.toml").read_text()
    (directory / "unifize.toml").write_text(toml + 'public_key_files = ["app-150-new.pem"]\n')

    async for client in in_process(make_settings(tmp_path, fixtures_dir=directory)):
        for key in (old, new):
            now = (await client.get("/_emulator/clock")).json()["now"]
            issued_at = datetime.fromisoformat(now).timestamp()
            assertion = unifize_assertion(
                150, key.as_pem(private=True).decode(), issued_at=issued_at
            )
            response = await client.post("/unifize/application/token", headers=bearer(assertion))
            assert response.status_code == 200, response.headers.get("x-emulator-reason")
            token = response.json()["accessToken"]
            rooms = await client.get("/unifize/chatroom", headers=bearer(token))
            assert rooms.status_code == 200 and [r["id"] for r in rooms.json()] == [1001, 1002]
        state = (await client.get("/_emulator/state/unifize")).json()
        [app] = [a for a in state["apps"] if a["id"] == 150]
        assert app["public_keys"] == 2 and len(app["tokens"]) == 2
