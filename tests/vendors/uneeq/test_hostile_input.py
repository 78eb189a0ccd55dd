"""Input that parses but could not be stored or shown back is refused at the door."""

from __future__ import annotations

import json

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import OctKey

from tests.conftest import last_request
from tests.vendors.uneeq.conftest import DEMO, START_PATH, TOKEN_PATH, issue, sdk_body

pytestmark = pytest.mark.anyio

LONE_SURROGATE = "\ud800"
DEEP = "[" * 5000 + "]" * 5000


async def assert_state_still_renders(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_emulator/state/uneeq")).status_code == 200
    assert (await client.get("/_emulator/requests")).status_code == 200


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sid": LONE_SURROGATE}, "JWT payload holds text that is not valid Unicode"),
        ({"extra": float("nan")}, "JWT payload holds NaN or Infinity"),
        ({"fm-custom-data": DEEP}, "claim fm-custom-data is nested too deeply"),
        ({"fm-custom-data": "NaN"}, "claim fm-custom-data holds NaN or Infinity"),
        (
            {"nbf": 4_000_000_000},
            "request JWT claim nbf 2096-10-02T07:06:40.000Z [4000000000] is in the future",
        ),
        # Integers too large for a float: the reason cannot write them as an instant.
        ({"exp": -(10**400)}, "request JWT expired at a number of 402 digits"),
        ({"iat": 10**400}, "request JWT claim iat a number of 401 digits"),
    ],
)
async def test_hostile_claims(client: httpx.AsyncClient, claims: dict[str, object], reason: str):
    # Serialised by hand: json.dumps escapes a lone surrogate, which joserfc would refuse.
    payload = json.dumps({"sid": "", "fm-workspace": "demo", **claims}).encode()
    body = jws.serialize_compact({"alg": "HS256"}, payload, OctKey.import_key(DEMO["secret"]))
    response = await client.post(
        TOKEN_PATH, content=body, headers={"workspace": "demo", "content-type": "application/jwt"}
    )
    assert response.status_code in (400, 401)
    assert reason in (await last_request(client))["reason"]
    await assert_state_still_renders(client)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (json.dumps({"tokenId": LONE_SURROGATE}), "body holds text that is not valid Unicode"),
        (
            json.dumps({"tokenId": "t", "workspaceName": LONE_SURROGATE}),
            "body holds text that is not valid Unicode",
        ),
        ('{"tokenId": "t", "clientWidth": NaN}', "body holds NaN or Infinity, which is not JSON"),
        ('{"tokenId": "t", "x": 1e999}', "body holds NaN or Infinity"),
        (DEEP, "body is nested too deeply"),
    ],
)
async def test_hostile_start_session_bodies(client: httpx.AsyncClient, raw: str, reason: str):
    token = await issue(client)
    response = await client.post(START_PATH, content=raw.replace('"t"', json.dumps(token)))
    assert (response.status_code, response.text) == (400, "Bad Request")
    assert (await last_request(client))["reason"] == reason
    await assert_state_still_renders(client)
    # The token was not spent by the refused request.
    assert (await client.post(START_PATH, json=sdk_body(token))).status_code == 200


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
async def test_an_escaped_lone_surrogate_in_utf_16_or_32_is_refused(
    client: httpx.AsyncClient, encoding: str
) -> None:
    """JSON may come in UTF-16 or UTF-32 (RFC 8259 readers may accept them, Python's
    does); there the escape's bytes are not b"\\u", and it must still be found."""
    token = await issue(client)
    raw = json.dumps({"tokenId": token}).replace("}", ', "x": "\\ud800"}')
    response = await client.post(START_PATH, content=raw.encode(encoding))
    assert (response.status_code, response.text) == (400, "Bad Request")
    assert (await last_request(client))["reason"] == "body holds text that is not valid Unicode"
    await assert_state_still_renders(client)
    assert (await client.post(START_PATH, json=sdk_body(token))).status_code == 200


async def test_session_jwt_with_hostile_ids(client: httpx.AsyncClient) -> None:
    body = json.dumps({"session_id": LONE_SURROGATE, "persona_id": "demo"})
    response = await client.post("/uneeq/v1/jwt/token", content=body)
    assert response.status_code == 400


async def test_cors_headers_on_404_and_405(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "http://shop.example"}
    missing = await client.post("/uneeq/api/v2/clients/nothing", headers=origin)
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "http://shop.example"
    wrong_method = await client.get(START_PATH, headers=origin)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["access-control-allow-origin"] == "http://shop.example"
    assert (await last_request(client))["reason"] == (
        "method GET not allowed on /uneeq/api/v2/clients/start-session"
    )
