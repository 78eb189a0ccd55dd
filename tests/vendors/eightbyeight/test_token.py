"""POST /api/v1/tokens: agent tokens, rooms, and every refusal in 8x8's error shape."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.conftest import last_request
from tests.vendors.eightbyeight.conftest import (
    DEMO_KEY,
    NOW,
    NOW_ISO,
    PHONE,
    ROOM_TTL,
    TOKEN_PATH,
    assert_refused,
    bearer,
    buy,
    room,
    room_id,
    state,
)

pytestmark = pytest.mark.anyio

UNAUTHORIZED = (401, 1200, "Unauthorized Access")


def unpadded(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@pytest.mark.parametrize(
    "body",
    [
        {},  # no body at all
        {"content": b""},
        {"content": b"  \n"},
        {"json": {}},
        {"json": {"create_room": False}},
    ],
    ids=["no-body", "empty", "whitespace", "empty-object", "create-room-false"],
)
async def test_empty_body_buys_an_agent_token_without_a_room(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post(TOKEN_PATH, headers=bearer(), **body)
    assert response.status_code == 200
    assert list(response.json()) == ["auth_token"]
    held = await state(client)
    assert held["rooms"] == [] and held["outbox"] == []
    [token] = held["tokens"]
    assert token["room_id"] is None and token["create_room"] is False
    assert (token["created_at"], token["api_key"]) == (NOW_ISO, "demo")


async def test_create_room_answers_reference_link_and_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TOKEN_PATH,
        headers=bearer(),
        json={"create_room": True, "phone_number": PHONE, "call_reference": "123abcde"},
    )
    assert response.status_code == 200
    answer = response.json()
    assert list(answer) == ["call_reference", "guest_link", "auth_token"]
    assert answer["call_reference"] == "123abcde"
    # The link points at this emulator, as the client reached it.
    assert answer["guest_link"].startswith("http://emulator.test/8x8/guest/")
    held = await state(client)
    [made] = held["rooms"]
    assert made == {
        "id": room_id(answer["guest_link"]),
        "api_key": "demo",
        "token_jti": held["tokens"][0]["jti"],
        "call_reference": "123abcde",
        "phone_number": PHONE,
        "guest_link": answer["guest_link"],
        "created_at": NOW_ISO,
        "expires_at": "2030-03-17T18:01:40.129Z",  # 15 minutes on
        "status": "active",
    }
    assert held["tokens"][0]["room_id"] == made["id"]
    # The SMS goes out when an agent logs in, never at creation.
    assert held["outbox"] == []


async def test_a_missing_call_reference_is_generated(client: httpx.AsyncClient) -> None:
    first, second = await room(client), await room(client)
    for answer in (first, second):
        assert 8 <= len(answer["call_reference"]) <= 20
    assert first["call_reference"] != second["call_reference"]
    assert room_id(first["guest_link"]) != room_id(second["guest_link"])


async def test_create_room_false_keeps_phone_and_reference_for_the_login(
    client: httpx.AsyncClient,
) -> None:
    answer = await buy(
        client, {"create_room": False, "phone_number": PHONE, "call_reference": "ref-12345"}
    )
    assert list(answer) == ["auth_token"]
    held = await state(client)
    assert held["rooms"] == [] and held["outbox"] == []
    [token] = held["tokens"]
    assert (token["phone_number"], token["call_reference"]) == (PHONE, "ref-12345")


async def test_the_double_slash_path_of_the_vendor_page(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/8x8//api/v1/tokens", headers=bearer(), json={"create_room": True}
    )
    assert response.status_code == 200 and "guest_link" in response.json()
    assert (await last_request(client, vendor="8x8"))["route"] == "8x8:token"
    empty = await client.post("/8x8//api/v1/tokens", headers=bearer())
    assert list(empty.json()) == ["auth_token"]
    assert len((await state(client))["tokens"]) == 2


async def test_unknown_fields_are_ignored(client: httpx.AsyncClient) -> None:
    answer = await room(client, language="en", extra={"nested": [1, 2]})
    assert set(answer) == {"call_reference", "guest_link", "auth_token"}


async def test_the_auth_token_is_an_hs256_jwt_valid_for_the_room_ttl(
    client: httpx.AsyncClient,
) -> None:
    token = (await buy(client))["auth_token"]
    header, payload, _signature = (unpadded(part) for part in token.split("."))
    assert json.loads(header) == {"typ": "JWT", "alg": "HS256"}
    claims = json.loads(payload)
    assert claims["iss"] == "token-emulator/8x8" and claims["sub"] == "demo"
    assert (claims["iat"], claims["exp"]) == (int(NOW), int(NOW + ROOM_TTL))
    assert claims["jti"] == (await state(client))["tokens"][0]["jti"]


@pytest.mark.parametrize(
    "reference",
    ["12345678", "x" * 20, "é" * 20, "🎥" * 8, "call ref"],
    ids=["8", "20", "20-two-byte", "8-emoji", "space"],
)
async def test_call_reference_counts_characters(client: httpx.AsyncClient, reference: str):
    assert (await room(client, call_reference=reference))["call_reference"] == reference


@pytest.mark.parametrize("phone", ["+6512345678", "+12345678", "+123456789012345", "+442071838750"])
async def test_international_numbers_pass(client: httpx.AsyncClient, phone: str) -> None:
    await room(client, phone_number=phone)
    assert (await state(client))["rooms"][0]["phone_number"] == phone


# --- 401 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing Authorization header (Authorization: Bearer <API key>)"),
        (bearer("no-such-key"), "API key unknown: not in [[api_keys]]"),
        (bearer(DEMO_KEY.lower()), "API key unknown: not in [[api_keys]]"),
        (bearer("k" * 5000), "API key unknown: not in [[api_keys]]"),
        ({"Authorization": f"Basic {DEMO_KEY}"}, "Authorization is not a Bearer API key"),
        ({"Authorization": DEMO_KEY}, "Authorization is not a Bearer API key"),
        ({"Authorization": "Bearer "}, "Authorization: Bearer carries no API key"),
        ({"x-token": DEMO_KEY}, "missing Authorization header (Authorization: Bearer <API key>)"),
    ],
    ids=["none", "unknown", "wrong-case", "huge", "basic", "no-scheme", "empty", "x-token"],
)
async def test_api_key_refusals(
    client: httpx.AsyncClient, headers: dict[str, str], reason: str
) -> None:
    response = await client.post(TOKEN_PATH, headers=headers, json={"create_room": True})
    await assert_refused(client, response, *UNAUTHORIZED, reason)
    assert (await state(client))["tokens"] == []


async def test_the_key_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(TOKEN_PATH, headers=bearer("nope"), content=b"[1]")
    await assert_refused(client, response, *UNAUTHORIZED, "API key unknown: not in [[api_keys]]")


async def test_an_auth_token_is_not_an_api_key(client: httpx.AsyncClient) -> None:
    token = (await buy(client))["auth_token"]
    response = await client.post(TOKEN_PATH, headers=bearer(token))
    await assert_refused(client, response, *UNAUTHORIZED, "API key unknown: not in [[api_keys]]")


# --- 400 ---------------------------------------------------------------------------

CREATE_ROOM = "create_room must be a boolean"
PHONE_MESSAGE = "phone_number must be an international number in E.164 form, e.g. +6512345678"
REFERENCE = "call_reference must be a string of 8 to 20 characters"
NOT_OBJECT = "body must be a JSON object"

FIELD_CASES = [
    ({"create_room": "true"}, CREATE_ROOM, 'create_room is "true"'),
    ({"create_room": 1}, CREATE_ROOM, "create_room is 1"),
    ({"create_room": 0}, CREATE_ROOM, "create_room is 0"),
    ({"create_room": None}, CREATE_ROOM, "create_room is null"),
    ({"create_room": [True]}, CREATE_ROOM, "create_room is [true]"),
    ({"create_room": {"x": 1}}, CREATE_ROOM, 'create_room is {"x": 1}'),
    ({"phone_number": "6512345678"}, PHONE_MESSAGE, 'phone_number "6512345678" is not E.164'),
    ({"phone_number": "+0512345678"}, PHONE_MESSAGE, 'phone_number "+0512345678" is not E.164'),
    ({"phone_number": "+1234567"}, PHONE_MESSAGE, 'phone_number "+1234567" is not E.164'),
    (
        {"phone_number": "+1234567890123456"},
        PHONE_MESSAGE,
        'phone_number "+1234567890123456" is not E.164',
    ),
    (
        {"phone_number": "+65 1234 5678"},
        PHONE_MESSAGE,
        'phone_number "+65 1234 5678" is not E.164',
    ),
    (
        {"phone_number": "+65-1234-5678"},
        PHONE_MESSAGE,
        'phone_number "+65-1234-5678" is not E.164',
    ),
    (
        {"phone_number": "+651234567\n"},
        PHONE_MESSAGE,
        'phone_number "+651234567\\n" is not E.164',
    ),
    (
        {"phone_number": "+٦٥١٢٣٤٥٦٧٨"},  # Arabic-Indic digits are digits, not E.164's
        PHONE_MESSAGE,
        'phone_number "+٦٥١٢٣٤٥٦٧٨" is not E.164',
    ),
    ({"phone_number": ""}, PHONE_MESSAGE, 'phone_number "" is not E.164'),
    ({"phone_number": 6512345678}, PHONE_MESSAGE, "phone_number 6512345678 is not E.164"),
    ({"phone_number": None}, PHONE_MESSAGE, "phone_number null is not E.164"),
    (
        {"call_reference": "1234567"},
        REFERENCE,
        'call_reference "1234567" (7 characters) refused',
    ),
    (
        {"call_reference": "x" * 21},
        REFERENCE,
        f'call_reference "{"x" * 21}" (21 characters) refused',
    ),
    ({"call_reference": ""}, REFERENCE, 'call_reference "" (0 characters) refused'),
    ({"call_reference": 12345678}, REFERENCE, "call_reference 12345678 refused"),
    ({"call_reference": None}, REFERENCE, "call_reference null refused"),
    (
        {"create_room": True, "call_reference": ["12345678"]},
        REFERENCE,
        'call_reference ["12345678"] refused',
    ),
]


@pytest.mark.parametrize(("body", "message", "reason"), FIELD_CASES)
async def test_field_refusals(
    client: httpx.AsyncClient, body: dict[str, Any], message: str, reason: str
) -> None:
    response = await client.post(TOKEN_PATH, headers=bearer(), json=body)
    await assert_refused(client, response, 400, 1000, message, reason)
    assert (await state(client))["tokens"] == []


BODY_CASES = [
    (b"null", "body is null, not an object"),
    (b"[]", "body is an array, not an object"),
    (b'[{"create_room": true}]', "body is an array, not an object"),
    (b'"create_room"', "body is a string, not an object"),
    (b"true", "body is a boolean, not an object"),
    (b"12", "body is a number, not an object"),
    (b"create_room=true", "body is not JSON"),
    (b'{"create_room": true', "body is not JSON"),
    (b"\xff\xfe\x00", "body is not JSON"),
    (b'{"create_room": true, "x": NaN}', "body holds NaN or Infinity, which is not JSON"),
    (b'{"x": 1e999}', "body holds NaN or Infinity"),
    (b'{"call_reference": "\\ud800abcdefgh"}', "body holds text that is not valid Unicode"),
    (b"[" * 5000 + b"]" * 5000, "body is nested too deeply"),
    (b'{"x": ' + b"9" * 5000 + b"}", "body is not JSON"),
]


@pytest.mark.parametrize(("raw", "reason"), BODY_CASES)
async def test_bodies_that_are_not_json_objects(
    client: httpx.AsyncClient, raw: bytes, reason: str
) -> None:
    headers = {**bearer(), "content-type": "application/json"}
    response = await client.post(TOKEN_PATH, headers=headers, content=raw)
    await assert_refused(client, response, 400, 1000, NOT_OBJECT, reason)
    assert (await state(client))["tokens"] == []


async def test_fields_are_checked_in_order(client: httpx.AsyncClient) -> None:
    body = {"create_room": "yes", "phone_number": "x", "call_reference": "y"}
    response = await client.post(TOKEN_PATH, headers=bearer(), content=json.dumps(body))
    await assert_refused(client, response, 400, 1000, CREATE_ROOM, 'create_room is "yes"')
    body["create_room"] = True
    response = await client.post(TOKEN_PATH, headers=bearer(), json=body)
    await assert_refused(
        client, response, 400, 1000, PHONE_MESSAGE, 'phone_number "x" is not E.164'
    )


async def test_error_ids_differ_and_timestamps_follow_the_clock(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post(TOKEN_PATH, headers=bearer("nope"))
    await client.post("/_emulator/clock", json={"set": "2031-01-02T03:04:05.999Z"})
    second = await client.post(TOKEN_PATH, headers=bearer("nope"))
    assert first.json()["errorId"] != second.json()["errorId"]
    assert second.json()["timestamp"] == "2031-01-02T03:04:05.99Z"
