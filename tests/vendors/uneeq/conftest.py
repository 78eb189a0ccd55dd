from __future__ import annotations

import tomllib
from typing import Any

import httpx

from tests.conftest import FIXTURES
from token_emulator.testing import uneeq_request_jwt

TOKEN_PATH = "/uneeq/api/v1/clients/access/tokens"
START_PATH = "/uneeq/api/v2/clients/start-session"

# A POST route that reads its body, with what it checks first (the cross-vendor limits).
BODY_ROUTE = (TOKEN_PATH, {"workspace": "demo", "content-type": "application/jwt"})


def workspace(workspace_id: str) -> dict[str, Any]:
    data = tomllib.loads((FIXTURES / "uneeq.toml").read_text())
    return next(w for w in data["workspaces"] if w["id"] == workspace_id)


DEMO = workspace("demo")


def token_request(ws: dict[str, Any] = DEMO, **jwt_options: Any) -> dict[str, Any]:
    """httpx keyword arguments for a valid token request from `ws`'s server."""
    return {
        "content": uneeq_request_jwt(ws["secret"], ws["id"], **jwt_options),
        "headers": {"workspace": ws["id"], "content-type": "application/jwt"},
    }


def sdk_body(token: str, workspace_name: str = "demo") -> dict[str, Any]:
    """The start-session body uneeq-js 2.58.1 sends (docs/vendors/uneeq.md)."""
    return {
        "workspaceName": workspace_name,
        "sessionType": 0,
        "sdkVersion": "2.58.1",
        "clientWidth": 800,
        "clientHeight": 600,
        "tokenId": token,
    }


async def issue(
    client: httpx.AsyncClient, ws: dict[str, Any] = DEMO, path: str = TOKEN_PATH, **jwt: Any
) -> str:
    response = await client.post(path, **token_request(ws, **jwt))
    assert response.status_code == 200, response.headers.get("x-emulator-reason")
    token: str = response.json()["token"]
    return token
