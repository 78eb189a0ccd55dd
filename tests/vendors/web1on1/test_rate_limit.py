"""20 requests per second per IP and per API key, in seconds of the emulator clock
(docs/vendors/web1on1.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import last_request, make_settings
from tests.vendors.web1on1.conftest import api_keys, bearer, frozen
from token_emulator.app import create_app

pytestmark = pytest.mark.anyio

CONTACTS = "/web1on1/v2/contacts"
BOT_KEY = "5f47d86c51755a001dc41c01"


@pytest.fixture
async def transports(tmp_path: Path) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The default fixtures (limit 20), one app, clients from two different IPs."""
    app = create_app(make_settings(tmp_path))
    async with LifespanManager(app) as manager:
        clients = {}
        for ip in ("10.0.0.1", "10.0.0.2"):
            transport = httpx.ASGITransport(app=manager.app, client=(ip, 40000))
            clients[ip] = httpx.AsyncClient(transport=transport, base_url="http://emulator.test")
        await frozen(clients["10.0.0.1"])
        yield clients
        for c in clients.values():
            await c.aclose()


async def test_the_21st_request_in_one_second_is_429_until_the_clock_moves(
    transports: dict[str, httpx.AsyncClient],
) -> None:
    one, two = transports["10.0.0.1"], transports["10.0.0.2"]
    statuses = [(await one.get(CONTACTS)).status_code for _ in range(20)]
    assert statuses == [401] * 20  # counted even when refused for another reason
    limited = await one.get(CONTACTS)
    assert limited.status_code == 429
    assert limited.json() == {"error": {"message": "Too many requests"}}
    assert limited.headers["retry-after"] == "1"
    entry = await last_request(one, vendor="web1on1")
    assert entry["route"] == "web1on1:contacts"
    assert "more than 20 requests from IP 10.0.0.1" in entry["reason"]
    # Another IP has its own count; the next second starts a new one.
    assert (await two.get(CONTACTS)).status_code == 401
    await one.post("/_emulator/clock", json={"advance": 1})
    assert (await one.get(CONTACTS)).status_code == 401


async def test_an_api_key_is_limited_across_ips(transports: dict[str, httpx.AsyncClient]) -> None:
    one, two = transports["10.0.0.1"], transports["10.0.0.2"]
    token = (await api_keys(one))[BOT_KEY]["token"]
    for c in (one, two) * 10:
        assert (await c.get(CONTACTS, headers=bearer(token))).status_code == 200
    limited = await two.get(CONTACTS, headers=bearer(token))
    assert limited.status_code == 429
    assert f"API key {BOT_KEY}" in (await last_request(two, vendor="web1on1"))["reason"]


async def test_a_reset_starts_the_count_again(transports: dict[str, httpx.AsyncClient]) -> None:
    one = transports["10.0.0.1"]
    for _ in range(21):
        await one.get(CONTACTS)
    assert (await one.get(CONTACTS)).status_code == 429
    await one.post("/_emulator/reset")
    await frozen(one)
    assert (await one.get(CONTACTS)).status_code == 401
