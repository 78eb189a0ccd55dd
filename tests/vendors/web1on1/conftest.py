"""web1on1 test helpers: the default fixtures, a frozen clock, logins by role."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES, in_process, make_settings
from tests.jws_parts import b64decode_json

TOKEN_PATH = "/web1on1/v2/auth/token"
NOW_ISO = "2030-03-17T17:46:40Z"
NOW = 1_900_000_000
DAY = 24 * 3600

# A POST route that reads its body, with what it checks first (the cross-vendor limits).
BODY_ROUTE = (TOKEN_PATH, {})
DEMO_ORG = "5f47d86c51755a001dc41b80"
OTHER_ORG = "5f47d86c51755a001dc41b90"
# The default fixtures' users (test-only passwords), by role, all of Demo Org.
USERS: dict[str, dict[str, str]] = {
    "guest": {
        "id": "599e1fcd9da1c72645c95881",
        "email": "guest@example.org",
        "password": "guest-TEST-ONLY",
    },
    "agent": {
        "id": "599e1fcd9da1c72645c95882",
        "email": "agent@example.org",
        "password": "agent-TEST-ONLY",
    },
    "bot": {
        "id": "599e1fcd9da1c72645c95883",
        "email": "bot+5f47d86c51755a001dc41b82@web1on1.chat",
        "password": "bot-TEST-ONLY",
    },
    "admin": {
        "id": "599e1fcd9da1c72645c95886",
        "email": "admin@example.org",
        "password": "t0pZ3kR3t",
    },
}
OTHER_ADMIN = {
    "id": "599e1fcd9da1c72645c95890",
    "email": "admin@other.example.org",
    "password": "other-TEST-ONLY",
}
ROLES = ("guest", "agent", "bot", "admin")


def fixture_dir(tmp_path: Path, **switches: object) -> Path:
    """The default fixtures with some of web1on1.toml's top-level switches changed."""
    directory = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, directory)
    toml = directory / "web1on1.toml"
    lines = toml.read_text().splitlines()
    for name, value in switches.items():
        lines = [f"{name} = {value}" if line.startswith(f"{name} =") else line for line in lines]
    toml.write_text("\n".join(lines) + "\n")
    return directory


async def frozen(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await client.post("/_emulator/clock", json={"freeze": True})
    await client.post("/_emulator/clock", json={"set": NOW_ISO})
    return client


@pytest.fixture
async def client(tmp_path: Path, database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The default fixtures without the rate limit (its own tests turn it on), clock frozen."""
    directory = fixture_dir(tmp_path, rate_limit_per_second=0)
    settings = make_settings(tmp_path, database=database, fixtures_dir=directory)
    async for c in in_process(settings):
        yield await frozen(c)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(
    client: httpx.AsyncClient, role: str = "admin", user: dict[str, str] | None = None
) -> dict[str, Any]:
    user = user or USERS[role]
    response = await client.post(
        TOKEN_PATH, json={"email": user["email"], "password": user["password"]}
    )
    assert response.status_code == 201, response.headers.get("x-emulator-reason")
    issued: dict[str, Any] = response.json()
    return issued


async def token_of(client: httpx.AsyncClient, role: str = "admin") -> str:
    token: str = (await login(client, role))["token"]
    return token


def claims_of(token: str) -> dict[str, Any]:
    return b64decode_json(token.split(".")[1])


async def state(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/_emulator/state/web1on1")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


async def api_keys(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get("/_emulator/web1on1/api-keys")
    assert response.status_code == 200
    return {key["id"]: key for key in response.json()["api_keys"]}
