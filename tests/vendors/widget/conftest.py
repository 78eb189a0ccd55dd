from __future__ import annotations

import base64
import json
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES, in_process, last_request, make_settings

BASE = "/widget/api/v1/widget"
GUEST = f"{BASE}/auth/guest"
USER_TOKEN = f"{BASE}/auth/user-token"
EXCHANGE = f"{BASE}/auth/exchange"
REFRESH = f"{BASE}/auth/refresh"
CONFIG = f"{BASE}/config"

# The default fixtures' test-only keys (fixtures/widget.toml).
KEY = "pk_live_acme_TESTONLYmain0001"  # localhost:*, 127.0.0.1:*, *.acme.test; agent "both"
GUEST_ONLY_KEY = "pk_live_acme_TESTONLYguests01"
USER_ONLY_KEY = "pk_live_acme_TESTONLYmembers1"
IPV4_ONLY_KEY = "pk_live_acme_TESTONLYipv4only"
BLOCKED_KEY = "pk_live_acme_TESTONLYblocked1"
GLOBEX_KEY = "pk_live_globex_TESTONLYmain0001"
SECRET = "sk_live_acme_TESTONLYsecret0001"
GLOBEX_SECRET = "sk_live_globex_TESTONLYsecret0001"

ORIGIN = {"Origin": "http://localhost:3000"}
NOW = 1_900_000_000  # the instant tests freeze the emulator clock at
NOW_ISO = "2030-03-17T17:46:40Z"

PLAIN = "text/plain; charset=utf-8"

# A POST route that reads its body, with what it checks first (the cross-vendor limits).
BODY_ROUTE = (EXCHANGE, ORIGIN)


def fixture_data() -> dict[str, Any]:
    return tomllib.loads((FIXTURES / "widget.toml").read_text())


def bearer(key: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def payload(jwt: str) -> dict[str, Any]:
    """A JWT's claims, decoded by hand (the test trusts nothing of ours)."""
    part = jwt.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


@pytest.fixture
async def client(tmp_path: Path, database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The default fixtures in-process, clock frozen at NOW."""
    async for c in in_process(make_settings(tmp_path, database=database)):
        await c.post("/_emulator/clock", json={"freeze": True})
        await c.post("/_emulator/clock", json={"set": NOW_ISO})
        yield c


async def advance(client: httpx.AsyncClient, seconds: float) -> None:
    response = await client.post("/_emulator/clock", json={"advance": seconds})
    assert response.status_code == 200


async def state(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/_emulator/state/widget")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def assert_refused(
    client: httpx.AsyncClient,
    response: httpx.Response,
    status: int,
    body: str,
    reason: str,
    route: str,
    *,
    prefix: bool = False,
) -> None:
    """Exact status, exact plain-text body, and the journal's exact reason.

    `prefix`: the reason starts with `reason` (for reasons that name random ids).
    """
    assert (response.status_code, response.text) == (status, body), response.headers.get(
        "x-emulator-reason"
    )
    assert response.headers["content-type"] == PLAIN
    entry = await last_request(client, route=route)
    assert entry["status"] == status
    if prefix:
        assert entry["reason"].startswith(reason), entry["reason"]
    else:
        assert entry["reason"] == reason


async def guest_token(
    client: httpx.AsyncClient, key: str = KEY, headers: dict[str, str] = ORIGIN
) -> str:
    response = await client.post(GUEST, json={"client_key": key}, headers=headers)
    assert response.status_code == 200, response.headers.get("x-emulator-reason")
    token: str = response.json()["token"]
    return token


async def user_visitor_token(client: httpx.AsyncClient, key: str = KEY, **fields: Any) -> str:
    body = {"client_key": key, "user_id": "user-42", **fields}
    response = await client.post(USER_TOKEN, json=body, headers=bearer())
    assert response.status_code == 200, response.headers.get("x-emulator-reason")
    token: str = response.json()["token"]
    return token


async def session_token(
    client: httpx.AsyncClient, visitor: str, key: str = KEY, headers: dict[str, str] = ORIGIN
) -> str:
    response = await client.post(
        EXCHANGE, json={"token": visitor, "client_key": key}, headers=headers
    )
    assert response.status_code == 200, response.headers.get("x-emulator-reason")
    token: str = response.json()["session_token"]
    return token


async def refreshed(client: httpx.AsyncClient, session: str) -> str:
    response = await client.post(REFRESH, json={"refresh_token": session})
    assert response.status_code == 200, response.headers.get("x-emulator-reason")
    token: str = response.json()["session_token"]
    return token
