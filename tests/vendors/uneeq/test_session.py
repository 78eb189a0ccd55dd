"""POST /api/v2/clients/start-session and /v1/jwt/token, as uneeq-js calls them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from tests.conftest import last_request
from tests.vendors.uneeq.conftest import START_PATH, issue, sdk_body, workspace

pytestmark = pytest.mark.anyio

DEMO = workspace("demo")
DEMO_EU = workspace("demo-eu")


async def start(client: httpx.AsyncClient, body: Any, path: str = START_PATH) -> httpx.Response:
    headers = {"x-auth-token": "", "x-timezone-name": "UTC"}
    return await client.post(path, json=body, headers=headers)


async def test_redeems_once_and_keeps_sid_and_custom_data(client: httpx.AsyncClient) -> None:
    token = await issue(client, sid="s-1", custom_data={"k": "v"})
    response = await start(client, sdk_body(token))
    assert response.status_code == 200
    session_id = response.json()["id"]
    assert response.headers["x-auth-token"]
    state = (await client.get("/_emulator/state/uneeq")).json()
    [session] = state["sessions"]
    assert session["id"] == session_id
    assert session["sid"] == "s-1" and session["custom_data"] == '{"k": "v"}'
    assert session["client"]["sdkVersion"] == "2.58.1"
    [stored] = state["tokens"]
    assert stored["session_id"] == session_id and stored["redeemed_at"] is not None

    again = await start(client, sdk_body(token))
    assert (again.status_code, again.text) == (401, "Unauthorized")
    reason = (await last_request(client))["reason"]
    assert reason.startswith("token already redeemed at ") and session_id in reason


async def test_expires_with_the_emulator_clock(client: httpx.AsyncClient) -> None:
    token = await issue(client)
    await client.post("/_emulator/clock", json={"advance": DEMO["token_ttl_seconds"]})
    response = await start(client, sdk_body(token))
    assert (response.status_code, response.text) == (401, "Unauthorized")
    assert (await last_request(client))["reason"].startswith("token expired at ")
    state = (await client.get("/_emulator/state/uneeq")).json()
    assert state["sessions"] == [] and state["tokens"][0]["redeemed_at"] is None


async def test_redeems_just_before_expiry(client: httpx.AsyncClient) -> None:
    await client.post("/_emulator/clock", json={"freeze": True})
    token = await issue(client)
    await client.post("/_emulator/clock", json={"advance": DEMO["token_ttl_seconds"] - 1})
    assert (await start(client, sdk_body(token))).status_code == 200


STATUS_TEXT = {400: "Bad Request", 401: "Unauthorized"}


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"tokenId": "no-such-token", "workspaceName": "demo"}, 401, "unknown token"),
        ({"workspaceName": "demo"}, 401, "no tokenId in the body"),
        ({"tokenId": 12, "workspaceName": "demo"}, 400, "tokenId must be a string, got a number"),
        ({"tokenId": "x", "workspaceName": 5}, 400, "workspaceName must be a string, got a number"),
        ([1, 2], 400, "body is an array, not an object"),
    ],
)
async def test_start_session_refusals(
    client: httpx.AsyncClient, body: Any, status: int, reason: str
) -> None:
    response = await start(client, body)
    assert (response.status_code, response.text) == (status, STATUS_TEXT[status])
    assert (await last_request(client))["reason"] == reason
    assert (await client.get("/_emulator/state/uneeq")).json()["sessions"] == []


async def test_body_not_json(client: httpx.AsyncClient) -> None:
    response = await client.post(START_PATH, content=b"{nope")
    assert (response.status_code, response.text) == (400, "Bad Request")
    assert (await last_request(client))["reason"] == "body is not JSON"


async def test_token_of_another_workspace_is_refused(client: httpx.AsyncClient) -> None:
    token = await issue(client, DEMO_EU)
    response = await start(client, sdk_body(token, workspace_name="demo"))
    assert (response.status_code, response.text) == (401, "Unauthorized")
    expected = "token was issued for workspace 'demo-eu', not 'demo'"
    assert (await last_request(client))["reason"] == expected
    # Still redeemable by its own workspace: the refusal wrote nothing.
    assert (await start(client, sdk_body(token, workspace_name="demo-eu"))).status_code == 200


async def test_regional_prefix_only_redeems_its_region(client: httpx.AsyncClient) -> None:
    token = await issue(client, DEMO_EU, path="/uneeq/eu/api/v1/clients/access/tokens")
    us_path, eu_path = (f"/uneeq/{r}/api/v2/clients/start-session" for r in ("us", "eu"))
    us = await start(client, sdk_body(token, "demo-eu"), path=us_path)
    assert (us.status_code, us.text) == (401, "Unauthorized")
    assert (await last_request(client))["reason"] == "token was issued in region eu, not us"
    eu = await start(client, sdk_body(token, "demo-eu"), path=eu_path)
    assert eu.status_code == 200


async def test_cors_preflight_and_exposed_header(client: httpx.AsyncClient) -> None:
    origin = "http://shop.example"
    preflight = await client.options(
        START_PATH,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-auth-token,x-timezone-name",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"content-type", "x-auth-token", "x-timezone-name"} <= set(allowed.split(","))
    token = await issue(client)
    response = await client.post(START_PATH, json=sdk_body(token), headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert "x-auth-token" in response.headers["access-control-expose-headers"]


async def test_session_jwt_for_a_started_session(client: httpx.AsyncClient) -> None:
    token = await issue(client)
    session_id = (await start(client, sdk_body(token))).json()["id"]
    body = {"session_id": session_id, "persona_id": "demo"}
    response = await client.post("/uneeq/v1/jwt/token", json=body)
    assert response.status_code == 200
    decoded = jwt.decode(response.json()["token"], OctKey.import_key(DEMO["secret"]))
    assert decoded.header["alg"] == "HS256"
    assert decoded.claims["sessionId"] == session_id

    other = await client.post("/uneeq/v1/jwt/token", json={**body, "persona_id": "demo-eu"})
    assert (other.status_code, other.text) == (401, "Unauthorized")
    unknown = await client.post("/uneeq/v1/jwt/token", json={**body, "session_id": "nope"})
    assert unknown.status_code == 401
    assert (await last_request(client))["reason"] == "no session 'nope' for persona 'demo'"
