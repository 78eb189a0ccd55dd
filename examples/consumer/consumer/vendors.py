"""What the service asks of UneeQ and web1on1, each at the base URL its environment
names (`UNEEQ_BASE_URL`, `WEB1ON1_BASE_URL`): in production the vendors' own, in
tests the token emulator's."""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import OctKey


class VendorRefused(Exception):
    def __init__(self, vendor: str, answer: httpx.Response) -> None:
        super().__init__(f"{vendor} answered {answer.status_code}: {answer.text[:200]}")
        self.status = answer.status_code


def uneeq_session(*, workspace: str, secret: str, sid: str = "") -> dict[str, Any]:
    """A UneeQ session: a single-use token bought with a JWT signed with the workspace's
    shared secret, then redeemed as the browser SDK would."""
    base = os.environ["UNEEQ_BASE_URL"]
    claims = {"sid": sid or str(uuid.uuid4()), "fm-workspace": workspace}
    signed = jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(secret))
    answer = httpx.post(
        f"{base}/api/v1/clients/access/tokens",
        headers={"workspace": workspace, "content-type": "application/jwt"},
        content=signed,
    )
    if answer.status_code != 200:
        raise VendorRefused("UneeQ", answer)
    session = httpx.post(
        f"{base}/api/v2/clients/start-session",
        json={"workspaceName": workspace, "sessionType": 0, "tokenId": answer.json()["token"]},
    )
    if session.status_code != 200:
        raise VendorRefused("UneeQ", session)
    found: dict[str, Any] = session.json()
    return found


def web1on1_token(*, email: str, password: str) -> str:
    """A web1on1 access token for a user's email and password."""
    base = os.environ["WEB1ON1_BASE_URL"]
    answer = httpx.post(f"{base}/v2/auth/token", json={"email": email, "password": password})
    if answer.status_code != 201:
        raise VendorRefused("web1on1", answer)
    token: str = answer.json()["token"]
    return token
