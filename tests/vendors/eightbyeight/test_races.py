"""Concurrent first logins of one room-less token make exactly one room."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.vendors.eightbyeight.conftest import (
    AGENT,
    DEMO_KEY,
    PHONE,
    TOKEN_PATH,
    bearer,
    buy,
    state,
)
from token_emulator.testing import EmulatorProcess

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]

ATTEMPTS = 30


async def login_concurrently(clients: list[httpx.AsyncClient], token: str) -> Counter[int]:
    responses = await asyncio.gather(
        *(
            clients[i % len(clients)].get("/8x8/", params={"user": AGENT, "token": token})
            for i in range(ATTEMPTS)
        )
    )
    return Counter(r.status_code for r in responses)


async def assert_one_room(http: httpx.AsyncClient, outcomes: Counter[int], rooms: int = 1) -> None:
    assert outcomes == Counter({200: ATTEMPTS})
    held = await state(http)
    assert len(held["rooms"]) == rooms
    token = held["tokens"][-1]
    assert token["room_id"] == held["rooms"][-1]["id"]
    assert len(token["logins"]) == ATTEMPTS
    assert {login["room_id"] for login in token["logins"]} == {token["room_id"]}
    # Every login sent its SMS, each with the one room's link.
    sms = [m for m in held["outbox"] if m["room_id"] == token["room_id"]]
    assert len(sms) == ATTEMPTS
    assert {m["body"] for m in sms} == {f"Join the video call: {held['rooms'][-1]['guest_link']}"}


async def test_in_process(client: httpx.AsyncClient) -> None:
    token = (await buy(client, {"phone_number": PHONE}))["auth_token"]
    await assert_one_room(client, await login_concurrently([client], token))


def _client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url, timeout=30, limits=httpx.Limits(max_connections=ATTEMPTS)
    )


async def test_two_server_processes_on_one_database(tmp_path: Path, database: str) -> None:
    with (
        EmulatorProcess(database, fixtures=FIXTURES, log_path=tmp_path / "a.log") as first,
        EmulatorProcess(database, fixtures=FIXTURES, log_path=tmp_path / "b.log") as second,
    ):
        async with _client(first.url) as a, _client(second.url) as b:
            for round_number in range(1, 4):
                response = await a.post(
                    "/8x8/api/v1/tokens", headers=bearer(), json={"phone_number": PHONE}
                )
                token = response.json()["auth_token"]
                outcomes = await login_concurrently([a, b], token)
                await assert_one_room(b, outcomes, rooms=round_number)
    logs = (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
    assert "database is locked" not in logs
    assert "Traceback" not in logs


async def test_a_reset_during_logins_refuses_them_without_a_500(client: httpx.AsyncClient) -> None:
    """A suite resetting between tests while a page still logs in gets 401s, never a 500."""
    for _ in range(5):
        tokens = []
        for _ in range(10):
            bought = await client.post(
                TOKEN_PATH,
                json={"create_room": True},
                headers={"Authorization": f"Bearer {DEMO_KEY}"},
            )
            tokens.append(bought.json()["auth_token"])
        logins = [client.get("/8x8/", params={"user": AGENT, "token": t}) for t in tokens]
        *answers, reset = await asyncio.gather(*logins, client.post("/_emulator/reset"))
        assert reset.status_code == 200
        assert {r.status_code for r in answers} <= {200, 401}


async def test_head_does_not_log_an_agent_in(client: httpx.AsyncClient) -> None:
    bought = await client.post(
        TOKEN_PATH, json={"phone_number": PHONE}, headers={"Authorization": f"Bearer {DEMO_KEY}"}
    )
    token = bought.json()["auth_token"]
    response = await client.head("/8x8/", params={"user": AGENT, "token": token})
    assert response.status_code == 405
    assert (await client.get("/_emulator/state/8x8")).json()["outbox"] == []
