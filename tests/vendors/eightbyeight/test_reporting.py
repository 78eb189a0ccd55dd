"""Reporting: call logs and calls with `x-token`, cursor pages, filters, tenant isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.vendors.eightbyeight.conftest import (
    AGENT,
    CALL_LOGS_PATH,
    DEMO_KEY,
    NOW,
    NOW_ISO,
    OTHER_KEY,
    PHONE,
    SECOND_AGENT,
    advance,
    assert_refused,
    buy,
    login,
    room,
    room_id,
)
from token_emulator.core.clock import isoformat

pytestmark = pytest.mark.anyio

UNAUTHORIZED = (401, 1200, "Unauthorized Access")
ROOMS = 45
STEP = 10  # seconds between two rooms


def x_token(token: str) -> dict[str, str]:
    return {"x-token": token}


async def pages(http: httpx.AsyncClient, token: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a call-log query, following next_cursor."""
    found: list[dict[str, Any]] = []
    while True:
        response = await http.get(CALL_LOGS_PATH, headers=x_token(token), params=params)
        assert response.status_code == 200, response.headers.get("x-emulator-reason")
        body = response.json()
        assert set(body) == {"calls", "next_cursor"}
        found.append(body)
        if body["next_cursor"] is None:
            return found
        params = {**params, "cursor": body["next_cursor"]}


@pytest.fixture
async def many(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """45 rooms of the demo key, one every 10 s, references ref-00000 to ref-00044."""
    made = []
    for index in range(ROOMS):
        made.append(await room(client, call_reference=f"ref-{index:05d}"))
        await advance(client, STEP)
    return made


async def test_45_rooms_in_three_pages_of_20(
    client: httpx.AsyncClient, many: list[dict[str, Any]]
) -> None:
    token = (await buy(client))["auth_token"]
    found = await pages(client, token, limit=20)
    assert [len(page["calls"]) for page in found] == [20, 20, 5]
    ids = [call["id"] for page in found for call in page["calls"]]
    assert len(ids) == len(set(ids)) == ROOMS
    # Newest first, no gaps: exactly the rooms made, in reverse order.
    assert ids == [room_id(answer["guest_link"]) for answer in reversed(many)]
    # The default page size is 20 too.
    assert [len(page["calls"]) for page in await pages(client, token)] == [20, 20, 5]
    assert [len(page["calls"]) for page in await pages(client, token, limit=100)] == [45]
    assert [len(page["calls"]) for page in await pages(client, token, limit=45)] == [45]
    assert [len(page["calls"]) for page in await pages(client, token, limit=44)] == [44, 1]


async def test_from_and_to_bound_the_creation_time(
    client: httpx.AsyncClient, many: list[dict[str, Any]]
) -> None:
    token = (await buy(client))["auth_token"]
    start, end = isoformat(NOW + 100), isoformat(NOW + 200)
    found = await pages(client, token, **{"from": start, "to": end, "limit": 4})
    refs = [call["call_reference"] for page in found for call in page["calls"]]
    # from is inclusive, to exclusive.
    assert refs == [f"ref-{index:05d}" for index in range(19, 9, -1)]
    assert [len(page["calls"]) for page in found] == [4, 4, 2]
    only_from = await pages(client, token, **{"from": isoformat(NOW + 430)})
    assert [c["call_reference"] for c in only_from[0]["calls"]] == ["ref-00044", "ref-00043"]
    only_to = await pages(client, token, to=isoformat(NOW + 10))
    assert [c["call_reference"] for c in only_to[0]["calls"]] == ["ref-00000"]
    # An offset and a date-only instant are ISO-8601 too; empty values mean "not given".
    with_offset = await pages(client, token, **{"from": "2030-03-17T19:50:00+02:00", "to": ""})
    assert [len(page["calls"]) for page in with_offset] == [20, 5]
    assert len((await pages(client, token, to="2030-03-17"))[0]["calls"]) == 0


async def test_q_matches_reference_phone_and_agent(
    client: httpx.AsyncClient, many: list[dict[str, Any]]
) -> None:
    with_phone = await room(client, phone_number=PHONE, call_reference="phone-room")
    await login(client, many[3]["auth_token"], SECOND_AGENT)
    token = (await buy(client))["auth_token"]

    async def refs(q: str, **params: Any) -> list[str]:
        found = await pages(client, token, q=q, **params)
        return [call["call_reference"] for page in found for call in page["calls"]]

    assert await refs("ref-0001") == [f"ref-{index:05d}" for index in range(19, 9, -1)]
    assert await refs("REF-00017") == ["ref-00017"]  # case-insensitive
    assert await refs("651234") == ["phone-room"]
    assert await refs("Second.Agent") == ["ref-00003"]
    assert await refs("nothing-like-this") == []
    assert await refs("%") == [] and await refs("_") == []  # no LIKE wildcards
    assert len(await refs("ref-", limit=7)) == ROOMS
    page = (await client.get(CALL_LOGS_PATH, headers=x_token(token), params={"q": "ref-"})).json()
    assert len(page["calls"]) == 20 and page["next_cursor"] is not None
    assert with_phone["call_reference"] == "phone-room"


async def test_a_call_log_record(client: httpx.AsyncClient) -> None:
    answer = await room(client, phone_number=PHONE, call_reference="the-record")
    await advance(client, 30)
    await login(client, answer["auth_token"])
    record = {
        "id": room_id(answer["guest_link"]),
        "call_reference": "the-record",
        "phone_number": PHONE,
        "guest_link": answer["guest_link"],
        "created_at": NOW_ISO,
        "expires_at": isoformat(NOW + 900),
        "status": "active",
        "agent_logins": [{"email": AGENT, "time": isoformat(NOW + 30)}],
    }
    token = answer["auth_token"]
    listed = await client.get(CALL_LOGS_PATH, headers=x_token(token))
    assert listed.json() == {"calls": [record], "next_cursor": None}
    one = await client.get(f"/8x8/api/v1/calls/{record['id']}", headers=x_token(token))
    assert (one.status_code, one.json()) == (200, record)
    # After the room's expiry its status says so, for a fresh token of the same key.
    await advance(client, 870)
    fresh = (await buy(client))["auth_token"]
    one = await client.get(f"/8x8/api/v1/calls/{record['id']}", headers=x_token(fresh))
    assert one.json()["status"] == "expired"


async def test_tenants_see_only_their_own_calls(client: httpx.AsyncClient) -> None:
    mine = await room(client, call_reference="demo-room")
    theirs = await room(client, OTHER_KEY, call_reference="other-room")
    mine_token, their_token = mine["auth_token"], theirs["auth_token"]
    seen = await client.get(CALL_LOGS_PATH, headers=x_token(their_token))
    assert [c["call_reference"] for c in seen.json()["calls"]] == ["other-room"]
    seen = await client.get(CALL_LOGS_PATH, headers=x_token(mine_token), params={"q": "room"})
    assert [c["call_reference"] for c in seen.json()["calls"]] == ["demo-room"]
    demo_room = room_id(mine["guest_link"])
    response = await client.get(f"/8x8/api/v1/calls/{demo_room}", headers=x_token(their_token))
    await assert_refused(
        client,
        response,
        404,
        1001,
        "Call not found",
        f"call {demo_room} was made with another API key than the x-token's",
    )


@pytest.mark.parametrize(
    ("call_id", "reason"),
    [("nope", "no call 'nope'"), ("9" * 5000, f"no call {'9' * 64!r}"), ("%00", "no call '\\x00'")],
    ids=["unknown", "huge", "nul"],
)
async def test_unknown_calls_are_404(client: httpx.AsyncClient, call_id: str, reason: str):
    token = (await buy(client))["auth_token"]
    response = await client.get(f"/8x8/api/v1/calls/{call_id}", headers=x_token(token))
    await assert_refused(client, response, 404, 1001, "Call not found", reason)


@pytest.mark.parametrize("path", [CALL_LOGS_PATH, "/8x8/api/v1/calls/some-id"])
async def test_bearer_is_not_x_token(client: httpx.AsyncClient, path: str) -> None:
    token = (await buy(client))["auth_token"]
    response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    await assert_refused(
        client,
        response,
        *UNAUTHORIZED,
        "x-token header is required: reporting calls do not accept Authorization: Bearer",
    )
    response = await client.get(path)
    await assert_refused(client, response, *UNAUTHORIZED, "missing x-token header")
    response = await client.get(path, headers=x_token(" "))
    await assert_refused(client, response, *UNAUTHORIZED, "x-token header is empty")
    response = await client.get(path, headers=x_token(DEMO_KEY))
    await assert_refused(
        client,
        response,
        *UNAUTHORIZED,
        "auth token refused: not a compact JWS (Invalid JSON Web Signature)",
    )


async def test_an_expired_x_token_is_401(client: httpx.AsyncClient) -> None:
    token = (await buy(client))["auth_token"]
    await advance(client, 899)
    assert (await client.get(CALL_LOGS_PATH, headers=x_token(token))).status_code == 200
    await advance(client, 1)
    response = await client.get(CALL_LOGS_PATH, headers=x_token(token))
    await assert_refused(
        client,
        response,
        *UNAUTHORIZED,
        "auth token expired at 2030-03-17T18:01:40.129Z",
        timestamp="2030-03-17T18:01:40.12Z",
    )


LIMIT = "limit must be a whole number from 1 to 100"
FROM = "from must be an ISO-8601 instant, e.g. 2024-05-01T12:00:00Z"
TO = "to must be an ISO-8601 instant, e.g. 2024-05-01T12:00:00Z"
CURSOR = "cursor is not valid: pass next_cursor from the previous page"


@pytest.mark.parametrize(
    ("params", "message", "reason"),
    [
        ({"limit": "0"}, LIMIT, "limit '0' refused"),
        ({"limit": "101"}, LIMIT, "limit '101' refused"),
        ({"limit": "-1"}, LIMIT, "limit '-1' refused"),
        ({"limit": "1.5"}, LIMIT, "limit '1.5' refused"),
        ({"limit": "\uff12\uff10"}, LIMIT, "limit '\uff12\uff10' refused"),  # fullwidth 20
        ({"limit": "9" * 5000}, LIMIT, f"limit {'9' * 40!r} refused"),
        ({"from": "yesterday"}, FROM, "from 'yesterday' is not an ISO-8601 instant"),
        (
            {"to": "2030-13-01T00:00:00Z"},
            TO,
            "to '2030-13-01T00:00:00Z' is not an ISO-8601 instant",
        ),
        ({"to": "99999-01-01"}, TO, "to '99999-01-01' is not an ISO-8601 instant"),
        ({"cursor": "garbage"}, CURSOR, "cursor 'garbage' was not issued by this emulator"),
        ({"cursor": "djE6YWJj"}, CURSOR, "cursor 'djE6YWJj' was not issued by this emulator"),
        (
            {"cursor": "djE6" * 100},
            CURSOR,
            f"cursor {'djE6' * 16!r} was not issued by this emulator",
        ),
        ([("from", NOW_ISO), ("from", NOW_ISO)], "from must be given once", "from given 2 times"),
        ([("cursor", "a"), ("cursor", "b")], "cursor must be given once", "cursor given 2 times"),
    ],
)
async def test_query_refusals(
    client: httpx.AsyncClient, params: Any, message: str, reason: str
) -> None:
    token = (await buy(client))["auth_token"]
    response = await client.get(CALL_LOGS_PATH, headers=x_token(token), params=params)
    await assert_refused(client, response, 400, 1000, message, reason)


async def test_a_cursor_of_another_query_still_pages_safely(client: httpx.AsyncClient) -> None:
    for index in range(3):
        await room(client, call_reference=f"cursor-{index:03d}")
    token = (await buy(client))["auth_token"]
    first = (await pages(client, token, limit=1))[0]
    rest = await client.get(
        CALL_LOGS_PATH, headers=x_token(token), params={"cursor": first["next_cursor"], "q": "0"}
    )
    assert [c["call_reference"] for c in rest.json()["calls"]] == ["cursor-001", "cursor-000"]
