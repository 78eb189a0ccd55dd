"""POST /api/v1/clients/access/tokens: every refusal with its status, body and journal reason."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import OctKey

from tests.conftest import last_request
from tests.jws_parts import b64
from tests.vendors.uneeq.conftest import TOKEN_PATH, workspace
from token_emulator.testing import uneeq_request_jwt

pytestmark = pytest.mark.anyio

DEMO = workspace("demo")
SECRET = DEMO["secret"]


def unsigned(claims: dict[str, Any], alg: str = "none") -> str:
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def signed_payload(payload: bytes) -> str:
    """A valid HS256 JWS over arbitrary bytes (not necessarily a JSON object)."""
    return jws.serialize_compact({"alg": "HS256"}, payload, OctKey.import_key(SECRET))


def signed(claims: dict[str, Any], secret: str = SECRET, alg: str = "HS256") -> str:
    header = {"alg": alg, "typ": "JWT"}
    key = OctKey.import_key(secret)
    return jws.serialize_compact(header, json.dumps(claims), key, algorithms=[alg])


async def post_token(
    client: httpx.AsyncClient,
    body: str | bytes,
    *,
    workspace_header: str | None = "demo",
    content_type: str | None = "application/jwt",
    path: str = TOKEN_PATH,
) -> Any:
    headers = {}
    if workspace_header is not None:
        headers["workspace"] = workspace_header
    if content_type is not None:
        headers["content-type"] = content_type
    return await client.post(path, content=body, headers=headers)


async def tokens_in_state(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    state = await client.get("/_emulator/state/uneeq")
    tokens: list[dict[str, Any]] = state.json()["tokens"]
    return tokens


async def test_issues_a_token_and_keeps_sid_and_custom_data(client: httpx.AsyncClient) -> None:
    request_jwt = uneeq_request_jwt(SECRET, "demo", sid="my-session", custom_data={"plan": "gold"})
    response = await post_token(client, request_jwt)
    assert response.status_code == 200
    token = response.json()["token"]
    assert isinstance(token, str) and len(token) >= 32
    [stored] = await tokens_in_state(client)
    assert stored["token"] == token
    assert stored["sid"] == "my-session"
    assert json.loads(stored["custom_data"]) == {"plan": "gold"}
    assert stored["workspace_id"] == "demo" and stored["redeemed_at"] is None
    entry = await last_request(client)
    assert (entry["route"], entry["status"], entry["reason"]) == ("uneeq:token", 200, None)


@pytest.mark.parametrize(
    "path",
    [TOKEN_PATH, TOKEN_PATH + "/", "/uneeq/us" + TOKEN_PATH.removeprefix("/uneeq")],
)
async def test_token_path_variants(client: httpx.AsyncClient, path: str) -> None:
    response = await post_token(client, uneeq_request_jwt(SECRET, "demo"), path=path)
    assert response.status_code == 200, response.headers.get("x-emulator-reason")


async def test_content_type_parameters_are_accepted(client: httpx.AsyncClient) -> None:
    response = await post_token(
        client, uneeq_request_jwt(SECRET, "demo"), content_type="application/jwt; charset=utf-8"
    )
    assert response.status_code == 200


GOOD = {"sid": "", "fm-workspace": "demo"}

REFUSALS = [
    # (id, request kwargs, status, body, reason substring)
    (
        "missing-workspace-header",
        {"workspace_header": None},
        400,
        "Bad Request",
        "missing 'workspace' header",
    ),
    (
        "wrong-content-type",
        {"content_type": "application/json"},
        400,
        "Bad Request",
        "content-type 'application/json' is not application/jwt",
    ),
    (
        "no-content-type",
        {"content_type": None},
        400,
        "Bad Request",
        "no content-type header: send application/jwt",
    ),
    ("body-not-a-jws", {"body": "hello"}, 400, "Bad Request", "body is not a compact JWS"),
    ("body-two-segments", {"body": "abc.def"}, 400, "Bad Request", "body is not a compact JWS"),
    ("body-empty", {"body": ""}, 400, "Bad Request", "body is empty"),
    ("body-not-utf8", {"body": b"\xff\xfe.\x00.x"}, 400, "Bad Request", "not UTF-8"),
    (
        "unknown-workspace",
        {"workspace_header": "nope", "claims": {**GOOD, "fm-workspace": "nope"}},
        403,
        "Forbidden",
        "unknown workspace 'nope'",
    ),
    (
        "other-region",
        {"path": "/uneeq/eu/api/v1/clients/access/tokens"},
        403,
        "Forbidden",
        "workspace 'demo' is in region us, not eu",
    ),
    (
        "wrong-secret",
        {"secret": "not-the-secret"},
        401,
        "Unauthorized",
        "signature does not verify with workspace demo's secret",
    ),
    (
        "alg-none",
        {"body": unsigned(GOOD)},
        401,
        "Unauthorized",
        "alg 'none' refused: only HS256 is accepted",
    ),
    (
        "alg-none-uppercase",
        {"body": unsigned(GOOD, "NONE")},
        401,
        "Unauthorized",
        "alg 'NONE' refused",
    ),
    ("alg-hs512", {"alg": "HS512"}, 401, "Unauthorized", "alg 'HS512' refused"),
    (
        "payload-not-object",
        {"body": signed_payload(b"[1, 2]")},
        400,
        "Bad Request",
        "JWT payload is not a JSON object",
    ),
    (
        "payload-not-json",
        {"body": signed_payload(b"\xff\x00")},
        400,
        "Bad Request",
        "JWT payload is not a JSON object",
    ),
    (
        "crit-header",
        {"body": f"{b64(json.dumps({'alg': 'HS256', 'crit': ['x'], 'x': 1}).encode())}.e30.c2ln"},
        400,
        "Bad Request",
        "body is JWS header 'crit' is not supported",
    ),
    ("sid-missing", {"claims": {"fm-workspace": "demo"}}, 400, "Bad Request", "claim sid missing"),
    (
        "sid-not-string",
        {"claims": {**GOOD, "sid": 42}},
        400,
        "Bad Request",
        "claim sid must be a string, got a number",
    ),
    (
        "fm-workspace-missing",
        {"claims": {"sid": ""}},
        400,
        "Bad Request",
        "claim fm-workspace missing",
    ),
    (
        "fm-workspace-not-string",
        {"claims": {**GOOD, "fm-workspace": ["demo"]}},
        400,
        "Bad Request",
        "claim fm-workspace must be a string, got an array",
    ),
    (
        "custom-data-object",
        {"claims": {**GOOD, "fm-custom-data": {"a": 1}}},
        400,
        "Bad Request",
        "claim fm-custom-data must be a string holding JSON, got an object",
    ),
    (
        "custom-data-not-json",
        {"claims": {**GOOD, "fm-custom-data": "{not json"}},
        400,
        "Bad Request",
        "claim fm-custom-data is not JSON",
    ),
    (
        "fm-workspace-differs",
        {"claims": {**GOOD, "fm-workspace": "x"}},
        403,
        "Forbidden",
        "fm-workspace 'x' differs from header 'demo'",
    ),
    (
        "expired",
        {"claims": {**GOOD, "exp": 1_000_000_000}},
        401,
        "Unauthorized",
        "request JWT expired at 2001-09-09T01:46:40.000Z [1000000000]",
    ),
    (
        "exp-not-a-number",
        {"claims": {**GOOD, "exp": "soon"}},
        400,
        "Bad Request",
        "claim exp is not a NumericDate",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "status", "body", "reason"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
async def test_refusals(
    client: httpx.AsyncClient, kwargs: dict[str, Any], status: int, body: str, reason: str
) -> None:
    kwargs = dict(kwargs)
    claims = kwargs.pop("claims", GOOD)
    secret = kwargs.pop("secret", SECRET)
    alg = kwargs.pop("alg", "HS256")
    request_body = kwargs.pop("body", None)
    if request_body is None:
        request_body = signed(claims, secret, alg)
    response = await post_token(client, request_body, **kwargs)
    assert response.status_code == status
    assert response.text == body
    assert response.headers["content-type"].startswith("text/plain")
    entry = await last_request(client, vendor="uneeq")
    assert entry["status"] == status
    assert reason in entry["reason"]
    assert reason in response.headers["x-emulator-reason"]
    assert await tokens_in_state(client) == [], "a refused request must not write a token"


async def test_future_iat_is_refused_beyond_the_leeway_only(client: httpx.AsyncClient) -> None:
    await client.post("/_emulator/clock", json={"freeze": True})
    await client.post("/_emulator/clock", json={"set": "2030-01-01T00:00:00Z"})
    now = 1893456000  # 2030-01-01T00:00:00Z
    within = uneeq_request_jwt(SECRET, "demo", iat=now + 30)
    assert (await post_token(client, within)).status_code == 200
    beyond = uneeq_request_jwt(SECRET, "demo", iat=now + 31)
    response = await post_token(client, beyond)
    assert response.status_code == 401
    assert (
        "claim iat 2030-01-01T00:00:31.000Z [1893456031] is in the future"
        in (await last_request(client))["reason"]
    )
