"""The vendor calls the reliability tests make, one request each, on the default fixtures."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from token_emulator.testing import uneeq_request_jwt
from token_emulator.vendors.uneeq.client import uneeq_secret
from token_emulator.vendors.web1on1.client import web1on1_login_of

UNEEQ_TOKEN = "/uneeq/api/v1/clients/access/tokens"
UNEEQ_START = "/uneeq/api/v2/clients/start-session"
WIDGET = "/widget/api/v1/widget"
WIDGET_GUEST = f"{WIDGET}/auth/guest"
WIDGET_EXCHANGE = f"{WIDGET}/auth/exchange"
WIDGET_REFRESH = f"{WIDGET}/auth/refresh"
WIDGET_KEY = "pk_live_acme_TESTONLYmain0001"
ORIGIN = {"Origin": "http://localhost:3000"}
WEB1ON1_TOKEN = "/web1on1/v2/auth/token"
WEB1ON1_EMAIL = "agent@example.org"

UNEEQ_REQUEST = {
    "content": uneeq_request_jwt(uneeq_secret("demo"), "demo", sid="reliability"),
    "headers": {"workspace": "demo", "content-type": "application/jwt"},
}


def uneeq_start_body(token: str) -> dict[str, Any]:
    return {"workspaceName": "demo", "sessionType": 0, "tokenId": token}


def web1on1_refresh_body(refresh_token: str) -> dict[str, str]:
    return {"refreshToken": refresh_token, "clientId": WEB1ON1_EMAIL}


def claims(jwt: str) -> dict[str, Any]:
    """A JWT's payload, decoded by hand: the tests trust nothing of ours to read it."""
    part = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


async def uneeq_mint(http: httpx.AsyncClient) -> httpx.Response:
    return await http.post(UNEEQ_TOKEN, **UNEEQ_REQUEST)


async def uneeq_redeem(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post(UNEEQ_START, json=uneeq_start_body(token))


async def widget_guest(http: httpx.AsyncClient) -> httpx.Response:
    return await http.post(WIDGET_GUEST, json={"client_key": WIDGET_KEY}, headers=ORIGIN)


async def widget_exchange(http: httpx.AsyncClient, visitor: str) -> httpx.Response:
    body = {"token": visitor, "client_key": WIDGET_KEY}
    return await http.post(WIDGET_EXCHANGE, json=body, headers=ORIGIN)


async def web1on1_login(http: httpx.AsyncClient) -> httpx.Response:
    email, password = web1on1_login_of(WEB1ON1_EMAIL)
    return await http.post(WEB1ON1_TOKEN, json={"email": email, "password": password})


async def web1on1_refresh(http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await http.post(WEB1ON1_TOKEN, json=web1on1_refresh_body(refresh_token))


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    return body
