"""`token_emulator_app`: the ASGI app in the test's own event loop, no server process."""

from __future__ import annotations

import os

import httpx
import pytest

from token_emulator.settings import default_fixtures_dir
from token_emulator.testing import uneeq_request_jwt

pytestmark = pytest.mark.anyio

SECRET = "test-only-uneeq-secret-demo-0123456789abcdef"  # fixtures/uneeq.toml, test-only


async def test_in_process_fixture_directory(token_emulator_app: httpx.AsyncClient) -> None:
    expected = os.environ.get("EXPECTED_FIXTURES") or str(default_fixtures_dir())
    health = (await token_emulator_app.get("/_emulator/health")).json()
    assert health["fixtures"]["directory"] == expected


async def test_in_process_token_expires(token_emulator_app: httpx.AsyncClient) -> None:
    issued = await token_emulator_app.post(
        "/uneeq/api/v1/clients/access/tokens",
        headers={"workspace": "demo", "content-type": "application/jwt"},
        content=uneeq_request_jwt(SECRET, "demo", sid="in-process"),
    )
    assert issued.status_code == 200
    moved = await token_emulator_app.post("/_emulator/clock", json={"advance": 301})
    assert moved.status_code == 200
    refused = await token_emulator_app.post(
        "/uneeq/api/v2/clients/start-session",
        json={"workspaceName": "demo", "sessionType": 0, "tokenId": issued.json()["token"]},
    )
    assert refused.status_code == 401


async def test_in_process_database_is_fresh(token_emulator_app: httpx.AsyncClient) -> None:
    state = (await token_emulator_app.get("/_emulator/state/uneeq")).json()
    assert state["tokens"] == []
    assert (await token_emulator_app.get("/_emulator/requests")).json() == {"requests": []}
