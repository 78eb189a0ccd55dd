"""guest and config: the cross-origin endpoints, their allowlist checks and CORS."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import last_request
from tests.vendors.widget.conftest import (
    BLOCKED_KEY,
    CONFIG,
    GLOBEX_KEY,
    GUEST,
    GUEST_ONLY_KEY,
    IPV4_ONLY_KEY,
    KEY,
    NOW,
    ORIGIN,
    PLAIN,
    USER_ONLY_KEY,
    assert_refused,
    payload,
    state,
)

pytestmark = pytest.mark.anyio

MAIN_ALLOWLIST = "['localhost:*', '127.0.0.1:*', '*.acme.test']"


async def test_guest_mints_a_visitor_token(client: httpx.AsyncClient) -> None:
    response = await client.post(GUEST, json={"client_key": KEY}, headers=ORIGIN)
    assert response.status_code == 200
    body = response.json()
    assert body["expires_at"] == "2030-03-17T17:51:40.000Z"
    assert body["expires_in"] == 300
    assert set(body) == {"token", "expires_at", "expires_in"}
    claims = payload(body["token"])
    assert claims["sub"].startswith("guest_") and len(claims["sub"]) > 10
    assert {k: v for k, v in claims.items() if k not in ("sub", "jti")} == {
        "iss": "token-emulator/widget",
        "account": "acme",
        "agent_id": "acme-support",
        "client_key": KEY,
        "kind": "guest",
        "token_use": "visitor",
        "iat": NOW,
        "exp": NOW + 300,
    }
    [token] = (await state(client))["visitor_tokens"]
    assert token["jti"] == claims["jti"]
    assert token["kind"] == "guest" and token["subject"] == claims["sub"]
    assert token["user_id"] is None and token["exchanged"] is False
    assert token["expires_at"] == body["expires_at"]


async def test_each_guest_gets_its_own_visitor_id(client: httpx.AsyncClient) -> None:
    subjects = set()
    for _ in range(3):
        response = await client.post(GUEST, json={"client_key": KEY}, headers=ORIGIN)
        subjects.add(payload(response.json()["token"])["sub"])
    assert len(subjects) == 3


async def test_guest_accepts_the_keys_own_agent_id(client: httpx.AsyncClient) -> None:
    body = {"client_key": GUEST_ONLY_KEY, "agent_id": "acme-guests"}
    response = await client.post(GUEST, json=body, headers=ORIGIN)
    assert response.status_code == 200
    assert payload(response.json()["token"])["agent_id"] == "acme-guests"


async def test_guest_on_wildcard_subdomains(client: httpx.AsyncClient) -> None:
    # *.acme.test names no port: the scheme's default port only.
    for origin, status in (
        ("https://shop.acme.test", 200),
        ("http://a.b.acme.test", 200),
        ("http://a.b.acme.test:8080", 403),
    ):
        response = await client.post(GUEST, json={"client_key": KEY}, headers={"Origin": origin})
        assert response.status_code == status, origin


async def test_body_content_type_is_not_required(client: httpx.AsyncClient) -> None:
    body = f'{{"client_key": "{KEY}"}}'
    headers = {**ORIGIN, "content-type": "text/plain"}
    assert (await client.post(GUEST, content=body, headers=headers)).status_code == 200


NO_ORIGIN_KEY = f"no Origin or Referer header (client key {KEY})"

# (id, body (dict or raw text), headers, status, wire body, journal reason)
GUEST_REFUSALS: list[tuple[str, Any, dict[str, str], int, str, str]] = [
    ("no-body", "", ORIGIN, 400, "Missing client_key", "no client_key"),
    ("empty-object", {}, ORIGIN, 400, "Missing client_key", "no client_key"),
    ("empty-key", {"client_key": ""}, ORIGIN, 400, "Missing client_key", "client_key is empty"),
    (
        "key-not-a-string",
        {"client_key": ["pk"]},
        ORIGIN,
        400,
        "Missing client_key",
        "client_key is an array, not a string",
    ),
    ("not-json", "client_key=pk", ORIGIN, 400, "Missing client_key", "body is not JSON"),
    (
        "json-list",
        "[1]",
        ORIGIN,
        400,
        "Missing client_key",
        "body is an array, not an object",
    ),
    (
        "unknown-key",
        {"client_key": "pk_live_acme_nope12345"},
        ORIGIN,
        400,
        "Missing client_key",
        "client_key 'pk_live_acme_nop...' is not registered",
    ),
    (
        "origin-not-allowed",
        {"client_key": KEY},
        {"Origin": "https://evil.test"},
        403,
        "Origin not in allowlist for this client_key",
        f"Origin https://evil.test matches no entry of client key {KEY}'s allowlist "
        + MAIN_ALLOWLIST,
    ),
    (
        "look-alike-subdomain",
        {"client_key": KEY},
        {"Origin": "https://evilacme.test"},
        403,
        "Origin not in allowlist for this client_key",
        f"Origin https://evilacme.test matches no entry of client key {KEY}'s allowlist "
        + MAIN_ALLOWLIST,
    ),
    (
        "apex-of-wildcard",
        {"client_key": KEY},
        {"Origin": "https://acme.test"},
        403,
        "Origin not in allowlist for this client_key",
        f"Origin https://acme.test matches no entry of client key {KEY}'s allowlist "
        + MAIN_ALLOWLIST,
    ),
    (
        "no-origin-no-referer",
        {"client_key": KEY},
        {},
        403,
        "Origin not in allowlist for this client_key",
        NO_ORIGIN_KEY,
    ),
    (
        "null-origin",
        {"client_key": KEY},
        {"Origin": "null"},
        403,
        "Origin not in allowlist for this client_key",
        f"Origin is 'null' (an opaque origin, such as a sandboxed frame) (client key {KEY})",
    ),
    (
        "empty-allowlist",
        {"client_key": BLOCKED_KEY},
        ORIGIN,
        403,
        "Origin not in allowlist for this client_key",
        f"client key {BLOCKED_KEY} has an empty allowlist: blocked",
    ),
    (
        "other-accounts-origin",
        {"client_key": GLOBEX_KEY},
        {"Origin": "https://www.acme.test"},
        403,
        "Origin not in allowlist for this client_key",
        f"Origin https://www.acme.test matches no entry of client key {GLOBEX_KEY}'s "
        "allowlist ['localhost:*', 'https://globex.test']",
    ),
    (
        "another-agent",
        {"client_key": KEY, "agent_id": "acme-guests"},
        ORIGIN,
        403,
        "Agent not available for this client_key",
        f"agent_id 'acme-guests' is not client key {KEY}'s agent 'acme-support'",
    ),
    (
        "agent-of-another-account",
        {"client_key": KEY, "agent_id": "globex-help"},
        ORIGIN,
        403,
        "Agent not available for this client_key",
        f"agent_id 'globex-help' is not client key {KEY}'s agent 'acme-support'",
    ),
    (
        "agent-id-not-a-string",
        {"client_key": KEY, "agent_id": 7},
        ORIGIN,
        400,
        "Invalid agent_id",
        "agent_id is a number, not a string",
    ),
    (
        "user-only-agent",
        {"client_key": USER_ONLY_KEY},
        ORIGIN,
        403,
        "Guest access is disabled for this agent",
        "agent 'acme-members' has auth_mode 'user'",
    ),
]


@pytest.mark.parametrize(
    ("body", "headers", "status", "text", "reason"),
    [case[1:] for case in GUEST_REFUSALS],
    ids=[case[0] for case in GUEST_REFUSALS],
)
async def test_guest_refusals(
    client: httpx.AsyncClient,
    body: Any,
    headers: dict[str, str],
    status: int,
    text: str,
    reason: str,
) -> None:
    if isinstance(body, dict):
        response = await client.post(GUEST, json=body, headers=headers)
    else:
        response = await client.post(GUEST, content=body, headers=headers)
    await assert_refused(client, response, status, text, reason, "widget:guest")
    assert (await state(client))["visitor_tokens"] == []


# Referer is read only when there is no Origin header.
REFERER_CASES = [
    ({"Referer": "http://localhost:3000/shop?item=1"}, 200, None),
    ({"Referer": "https://www.acme.test/deep/page.html#x"}, 200, None),
    ({"Origin": "", "Referer": "http://127.0.0.1:8000/"}, 200, None),
    (
        {"Referer": "https://evil.test/localhost:3000"},
        403,
        f"origin https://evil.test (from Referer) matches no entry of client key {KEY}'s "
        f"allowlist {MAIN_ALLOWLIST}",
    ),
    (
        {"Origin": "https://evil.test", "Referer": "http://localhost:3000/"},
        403,
        f"Origin https://evil.test matches no entry of client key {KEY}'s allowlist "
        + MAIN_ALLOWLIST,
    ),
    (
        {"Origin": "null", "Referer": "http://localhost:3000/"},
        403,
        f"Origin is 'null' (an opaque origin, such as a sandboxed frame) (client key {KEY})",
    ),
]


@pytest.mark.parametrize(("headers", "status", "reason"), REFERER_CASES)
async def test_referer_fallback(
    client: httpx.AsyncClient, headers: dict[str, str], status: int, reason: str | None
) -> None:
    for path, method in ((GUEST, "POST"), (CONFIG, "GET")):
        if method == "POST":
            response = await client.post(path, json={"client_key": KEY}, headers=headers)
        else:
            response = await client.get(path, params={"client_key": KEY}, headers=headers)
        assert response.status_code == status
        if reason is not None:
            text = "Origin not in allowlist" + (" for this client_key" if path == GUEST else "")
            route = "widget:guest" if path == GUEST else "widget:config"
            await assert_refused(client, response, 403, text, reason, route)


async def test_config_returns_the_agents_branding(client: httpx.AsyncClient) -> None:
    response = await client.get(CONFIG, params={"client_key": KEY}, headers=ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert response.json() == {
        "client_key": KEY,
        "account": "acme",
        "agent_id": "acme-support",
        "display_name": "Acme Support",
        "auth_mode": "both",
        "branding": {
            "primary_color": "#0b5fff",
            "background_color": "#ffffff",
            "text_color": "#1f2937",
            "title": "Acme Support",
            "greeting": "Hi! How can we help you today?",
            "input_placeholder": "Ask us anything",
            "launcher_label": "Chat with Acme",
        },
    }


async def test_config_fills_branding_defaults(client: httpx.AsyncClient) -> None:
    response = await client.get(CONFIG, params={"client_key": GUEST_ONLY_KEY}, headers=ORIGIN)
    body = response.json()
    assert (body["display_name"], body["auth_mode"]) == ("Acme Sales", "guest")
    assert body["branding"]["primary_color"] == "#16a34a"
    assert body["branding"]["launcher_label"] == "Chat with us"


CONFIG_REFUSALS: list[tuple[str, str, dict[str, str], int, str, str]] = [
    ("no-key", "", ORIGIN, 400, "Missing client_key", "no client_key"),
    ("empty-key", "?client_key=", ORIGIN, 400, "Missing client_key", "client_key is empty"),
    (
        "repeated-key",
        f"?client_key={KEY}&client_key={KEY}",
        ORIGIN,
        400,
        "Missing client_key",
        "client_key given 2 times",
    ),
    (
        "unknown-key",
        "?client_key=pk_live_x",
        ORIGIN,
        400,
        "Missing client_key",
        "client_key 'pk_live_x...' is not registered",
    ),
    (
        "huge-key",
        "?client_key=" + "p" * 5000,
        ORIGIN,
        400,
        "Missing client_key",
        f"client_key {'p' * 16 + '...'!r} is not registered",
    ),
    (
        "origin-not-allowed",
        f"?client_key={KEY}",
        {"Origin": "http://localhost.evil.test:3000"},
        403,
        "Origin not in allowlist",
        f"Origin http://localhost.evil.test:3000 matches no entry of client key {KEY}'s "
        f"allowlist {MAIN_ALLOWLIST}",
    ),
    (
        "localhost-on-a-127-only-key",
        f"?client_key={IPV4_ONLY_KEY}",
        ORIGIN,
        403,
        "Origin not in allowlist",
        f"Origin http://localhost:3000 matches no entry of client key {IPV4_ONLY_KEY}'s "
        "allowlist ['127.0.0.1:*']",
    ),
    (
        "no-origin",
        f"?client_key={KEY}",
        {},
        403,
        "Origin not in allowlist",
        NO_ORIGIN_KEY,
    ),
    (
        "empty-allowlist",
        f"?client_key={BLOCKED_KEY}",
        ORIGIN,
        403,
        "Origin not in allowlist",
        f"client key {BLOCKED_KEY} has an empty allowlist: blocked",
    ),
]


@pytest.mark.parametrize(
    ("query", "headers", "status", "text", "reason"),
    [case[1:] for case in CONFIG_REFUSALS],
    ids=[case[0] for case in CONFIG_REFUSALS],
)
async def test_config_refusals(
    client: httpx.AsyncClient,
    query: str,
    headers: dict[str, str],
    status: int,
    text: str,
    reason: str,
) -> None:
    response = await client.get(CONFIG + query, headers=headers)
    await assert_refused(client, response, status, text, reason, "widget:config")


async def test_preflight_is_answered_for_any_origin(client: httpx.AsyncClient) -> None:
    # Even an origin the allowlist refuses: the 403 must be readable afterwards.
    response = await client.options(
        GUEST,
        headers={
            "Origin": "https://evil.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://evil.test"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "content-type"


async def test_refusals_are_readable_cross_origin(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://evil.test"}
    refused = await client.post(GUEST, json={"client_key": KEY}, headers=origin)
    assert refused.status_code == 403
    assert refused.headers["access-control-allow-origin"] == "https://evil.test"
    assert "x-emulator-reason" in refused.headers["access-control-expose-headers"]
    config = await client.get(CONFIG, params={"client_key": KEY}, headers=origin)
    assert config.headers["access-control-allow-origin"] == "https://evil.test"


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", GUEST, 405, "Method Not Allowed"),
        ("POST", CONFIG, 405, "Method Not Allowed"),
        ("PUT", "/widget/api/v1/widget/auth/refresh", 405, "Method Not Allowed"),
        ("GET", "/widget/api/v1/widget/nothing", 404, "Not Found"),
        ("POST", "/widget/api/v2/widget/auth/guest", 404, "Not Found"),
    ],
)
async def test_unknown_paths_and_methods_are_plain_text(
    client: httpx.AsyncClient, method: str, path: str, status: int, text: str
) -> None:
    response = await client.request(method, path, headers={"Origin": "https://evil.test"})
    assert (response.status_code, response.text) == (status, text)
    assert response.headers["content-type"] == PLAIN
    assert response.headers["access-control-allow-origin"] == "https://evil.test"
    entry = await last_request(client, vendor="widget")
    if status == 404:
        assert entry["reason"] == f"no route for {method} {path}"
    else:
        assert entry["reason"] == f"method {method} not allowed on {path}"
