"""What PostgreSQL answered differently from SQLite until the store and the tables were fixed.

Each test runs on both databases and asserts the one behaviour: text holding
NUL (which PostgreSQL's text cannot), ids beyond 32 bits (PostgreSQL's
INTEGER), ids counting from 1 after a reset (PostgreSQL's sequences do not
rewind on DELETE), and list order among equal records (PostgreSQL reads
updated rows in another order).
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES, last_request
from tests.vendors.uneeq.conftest import START_PATH, issue, sdk_body
from token_emulator.testing import unifize_access_token, unifize_assertion
from token_emulator.vendors.unifize.client import unifize_demo_private_key

pytestmark = [pytest.mark.anyio, pytest.mark.each_database]

# A NUL, the store's escape character (U+FFFF) alone, doubled, and followed by "0"
# (which must not come back as a NUL).
AWKWARD_TEXT = "a\x00b\uffffc\uffff\uffff\uffff0\x00"
# An id over INTEGER's 32 bits, and of the 18 digits Unifize's ids may have at most.
BIG = 400_000_000_000_000_000


async def test_text_holding_nul_comes_back_as_sent(client: httpx.AsyncClient) -> None:
    token = await issue(client, sid=AWKWARD_TEXT)
    [stored] = (await client.get("/_emulator/state/uneeq")).json()["tokens"]
    assert stored["token"] == token and stored["sid"] == AWKWARD_TEXT
    started = await client.post(START_PATH, json=sdk_body(token))
    assert started.status_code == 200
    [session] = (await client.get("/_emulator/state/uneeq")).json()["sessions"]
    assert session["sid"] == AWKWARD_TEXT


async def test_a_nul_in_a_looked_up_id_is_unknown_not_an_error(client: httpx.AsyncClient) -> None:
    response = await client.post(START_PATH, json=sdk_body("\x00"))
    assert response.status_code == 401 and response.text == "Unauthorized"
    entry = await last_request(client, vendor="uneeq")
    assert entry["reason"] == "unknown token"


async def test_64_bit_ids_in_fixtures_and_requests(client: httpx.AsyncClient) -> None:
    public_pem = (FIXTURES / "unifize-demo-app.public.pem").read_text()
    app = {
        "id": BIG + 1,
        "org_id": BIG,
        "bot_uid": "bot-big",
        "public_keys": [public_pem],
        "permissions": ["chatroom:read"],
    }
    added = await client.post(
        "/_emulator/fixtures",
        json={
            "vendor": "unifize",
            "fixtures": {
                "orgs": [{"id": BIG, "name": "Big Org"}],
                "apps": [app],
                "chatrooms": [{"id": BIG + 2, "org_id": BIG, "title": "Big room"}],
            },
        },
    )
    assert added.status_code == 201, added.text
    access = await unifize_access_token(client, app_id=BIG + 1, key=unifize_demo_private_key())
    info = await client.post("/unifize/application/tokeninfo", json={"token": access})
    assert info.status_code == 200
    assert (info.json()["appId"], info.json()["orgId"]) == (BIG + 1, BIG)
    rooms = await client.get("/unifize/chatroom", headers={"Authorization": f"Bearer {access}"})
    assert [room["id"] for room in rooms.json()] == [BIG + 2]


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "reason"),
    [
        (
            "POST",
            "/unifize/application/token",
            401,
            {"status": 401, "error": "unauthorized", "message": "Authentication failed"},
            "iss '999999999999999999' names no registered app",
        ),
        (
            "POST",
            "/unifize/application/installation/999999999999999999/token",
            403,
            {"status": 403, "error": "forbidden", "message": "This app may not do this"},
            "app 101 is not installed in org 999999999999999999",
        ),
    ],
    ids=["iss", "installation-org"],
)
async def test_unifize_ids_beyond_32_bits_are_refused_not_errors(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    status: int,
    body: dict[str, Any],
    reason: str,
) -> None:
    issuer = "999999999999999999" if path.endswith("/application/token") else "101"
    assertion = unifize_assertion(issuer, unifize_demo_private_key())
    response = await client.request(method, path, headers={"Authorization": f"Bearer {assertion}"})
    assert response.status_code == status and response.json() == body
    assert (await last_request(client, vendor="unifize"))["reason"] == reason


async def test_a_chatroom_id_beyond_32_bits_is_not_found(client: httpx.AsyncClient) -> None:
    access = await unifize_access_token(client)
    response = await client.get(
        "/unifize/chatroom/999999999999999999", headers={"Authorization": f"Bearer {access}"}
    )
    assert response.status_code == 404
    assert response.json() == {"status": 404, "error": "not_found", "message": "Not found"}
    entry = await last_request(client, vendor="unifize")
    assert entry["reason"] == "no chatroom '999999999999999999'"


async def test_an_8x8_cursor_beyond_32_bits_pages_from_the_newest(
    client: httpx.AsyncClient,
) -> None:
    made = await client.post(
        "/8x8/api/v1/tokens",
        json={"create_room": True},
        headers={"Authorization": "Bearer demo-8x8-api-key-TEST-ONLY"},
    )
    token = made.json()["auth_token"]
    cursor = base64.urlsafe_b64encode(b"v1:999999999999999999").decode().rstrip("=")
    response = await client.get(
        "/8x8/api/v1/call-logs", params={"cursor": cursor}, headers={"x-token": token}
    )
    assert response.status_code == 200
    body = response.json()
    assert [call["call_reference"] for call in body["calls"]] == [made.json()["call_reference"]]
    assert body["next_cursor"] is None


async def test_a_fault_id_beyond_32_bits_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.delete("/_emulator/faults/999999999999")
    assert response.status_code == 404
    assert response.json() == {"error": "no fault '999999999999'"}


async def test_fault_ids_count_from_1_after_every_reset(client: httpx.AsyncClient) -> None:
    """A fault's default seed is its id: a script's faults draw the same after each reset."""
    body = {"vendor": "widget", "route": "guest", "status": 500, "probability": 0.5}
    for _run in range(2):
        made = [(await client.post("/_emulator/faults", json=body)).json()["fault"] for _ in "ab"]
        assert [(f["id"], f["seed"]) for f in made] == [(1, 1), (2, 2)]
        await client.post("/_emulator/reset")


async def test_web1on1_records_equal_in_every_sort_field_list_in_id_order(
    client: httpx.AsyncClient,
) -> None:
    login = await client.post(
        "/web1on1/v2/auth/token", json={"email": "admin@example.org", "password": "t0pZ3kR3t"}
    )
    admin = {"Authorization": f"Bearer {login.json()['token']}"}
    for name in ("Dana", "Eve", "Finn"):
        created = await client.post("/web1on1/v2/contacts", json={"name": name}, headers=admin)
        assert created.status_code == 201

    async def listed() -> list[str]:
        # Every contact of one organization ties on `organization`.
        params = {"sort": "organization", "select": "_id"}
        response = await client.get("/web1on1/v2/contacts", params=params, headers=admin)
        return [record["_id"] for record in response.json()]

    before = await listed()
    assert len(before) == 5 and before == sorted(before)
    # PostgreSQL writes an updated row anew: unordered, it would list it last.
    patched = await client.patch(
        f"/web1on1/v2/contacts/{before[0]}", json={"vip": True}, headers=admin
    )
    assert patched.status_code == 200
    assert await listed() == before
