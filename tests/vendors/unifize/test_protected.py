"""Access tokens open /chatroom: org scoping, permissions, expiry, foreign tokens."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import last_request
from tests.vendors.unifize.conftest import NOW, access_token, bearer
from token_emulator.testing import uneeq_request_jwt, unifize_assertion

pytestmark = pytest.mark.anyio

FIELDS = {"id", "title", "orgId", "status", "members", "templateId", "createdAt", "updatedAt"}


async def token_for(client: httpx.AsyncClient, app_id: int = 101, org: int | None = None) -> str:
    path = "/unifize/application/token"
    if org is not None:
        path = f"/unifize/application/installation/{org}/token"
    return await access_token(client, unifize_assertion(app_id, issued_at=NOW), path)


async def refused(
    client: httpx.AsyncClient, path: str, token: str | None, status: int, reason: str
) -> None:
    headers = bearer(token) if token is not None else {}
    response = await client.get(path, headers=headers)
    assert response.status_code == status
    codes = {401: "unauthorized", 403: "forbidden", 404: "not_found"}
    assert (response.json()["status"], response.json()["error"]) == (status, codes[status])
    entry = await last_request(client, vendor="unifize")
    assert reason in entry["reason"], entry["reason"]


async def test_lists_the_rooms_of_the_tokens_org(client: httpx.AsyncClient) -> None:
    token = await token_for(client)
    rooms = (await client.get("/unifize/chatroom", headers=bearer(token))).json()
    assert [room["id"] for room in rooms] == [1001, 1002]
    assert all(set(room) == FIELDS and room["orgId"] == 1 for room in rooms)
    partner = await token_for(client, org=2)
    rooms = (await client.get("/unifize/chatroom", headers=bearer(partner))).json()
    assert [room["id"] for room in rooms] == [2001]


async def test_fetches_one_room(client: httpx.AsyncClient) -> None:
    token = await token_for(client)
    room = (await client.get("/unifize/chatroom/1001", headers=bearer(token))).json()
    assert room["title"] == "Batch release 2024-17" and room["templateId"] == 7


async def test_another_orgs_room_and_an_unknown_room_are_404(client: httpx.AsyncClient) -> None:
    token = await token_for(client)
    await refused(
        client, "/unifize/chatroom/2001", token, 404, "chatroom 2001 belongs to org 2, not 1"
    )
    await refused(client, "/unifize/chatroom/5", token, 404, "no chatroom '5'")
    await refused(client, f"/unifize/chatroom/{'9' * 30}", token, 404, "no chatroom")
    # Python will not even parse this many digits; the route must not try.
    await refused(client, f"/unifize/chatroom/{'1' * 5000}", token, 404, "no chatroom")
    await refused(client, "/unifize/chatroom/01001", token, 404, "no chatroom '01001'")
    await refused(client, "/unifize/chatroom/abc", token, 404, "no chatroom 'abc'")


async def test_missing_permission_is_403(client: httpx.AsyncClient) -> None:
    token = await token_for(client, app_id=102)
    await refused(
        client, "/unifize/chatroom", token, 403, "app 102 lacks the chatroom:read permission"
    )
    await refused(client, "/unifize/chatroom/1001", token, 403, "lacks the chatroom:read")


async def test_missing_malformed_and_foreign_tokens_are_401(client: httpx.AsyncClient) -> None:
    await refused(client, "/unifize/chatroom", None, 401, "missing Authorization header")
    await refused(client, "/unifize/chatroom", "abc.def", 401, "access token is not a compact JWS")
    foreign = uneeq_request_jwt("some-other-secret", "demo")
    await refused(
        client,
        "/unifize/chatroom",
        foreign,
        401,
        "access token signature does not verify: not issued here",
    )
    the_assertion = unifize_assertion(101, issued_at=NOW)
    await refused(
        client,
        "/unifize/chatroom",
        the_assertion,
        401,
        "alg 'RS256' refused: only HS256 is accepted",
    )
    await refused(client, "/unifize/chatroom", "x" * 9000, 401, "over the 8 KiB limit")


async def test_access_tokens_expire_with_the_emulator_clock(client: httpx.AsyncClient) -> None:
    token = await token_for(client)
    await client.post("/_emulator/clock", json={"advance": 3599})
    assert (await client.get("/unifize/chatroom", headers=bearer(token))).status_code == 200
    await client.post("/_emulator/clock", json={"advance": 1})
    await refused(
        client, "/unifize/chatroom", token, 401, "access token expired at 2030-03-17T18:46:40.000Z"
    )


async def test_a_reset_forgets_issued_tokens(client: httpx.AsyncClient) -> None:
    token = await token_for(client)
    await client.post("/_emulator/reset")
    await refused(client, "/unifize/chatroom", token, 401, "access token unknown")


async def test_tokeninfo(client: httpx.AsyncClient) -> None:
    token = await token_for(client)
    info = await client.post("/unifize/application/tokeninfo", json={"token": token})
    assert info.json() == {
        "uid": "bot-101",
        "appId": 101,
        "expiry": (NOW + 3600) * 1000,
        "orgId": 1,
    }
    bad = await client.post("/unifize/application/tokeninfo", json={"token": "nope"})
    assert bad.status_code == 401
    assert (await last_request(client))[
        "reason"
    ] == "access token is not a compact JWS (Invalid JSON Web Signature)"
    for body in ({}, {"token": 5}, [1]):
        response = await client.post("/unifize/application/tokeninfo", json=body)
        assert response.status_code == 400 and response.json()["error"] == "bad_request"
    response = await client.post("/unifize/application/tokeninfo", content=b"{")
    assert response.status_code == 400
    assert (await last_request(client))["reason"] == "body is not JSON"


async def test_tokeninfo_refuses_expired_and_forgotten_tokens(client: httpx.AsyncClient) -> None:
    token = await token_for(client)
    await client.post("/_emulator/clock", json={"advance": 3600})
    expired = await client.post("/unifize/application/tokeninfo", json={"token": token})
    assert expired.status_code == 401
    assert (await last_request(client))["reason"].startswith("access token expired at ")
    await client.post("/_emulator/reset")
    await client.post("/_emulator/clock", json={"freeze": True})
    await client.post("/_emulator/clock", json={"set": "2030-03-17T17:46:40Z"})
    fresh = await token_for(client)
    await client.post("/_emulator/reset")
    forgotten = await client.post("/unifize/application/tokeninfo", json={"token": fresh})
    assert forgotten.status_code == 401
    assert (await last_request(client))["reason"].startswith("access token unknown")
