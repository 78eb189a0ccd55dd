"""What a client of UneeQ sends: an HS256 request JWT signed with the workspace's secret,
posted for a single-use token that the browser SDK then redeems."""

from __future__ import annotations

import json
from typing import Any

from token_emulator.core.calls import Call, Flow, Steps, json_answer, log
from token_emulator.core.tokens import sign_hmac
from token_emulator.core.vendor_client import (
    FixturesDir,
    Mint,
    Option,
    Redemption,
    VendorClient,
    fixtures_of,
    json_value,
    missing,
)
from token_emulator.vendors.uneeq.models import REGIONS, UneeqFixtures

TOKEN_PATH = "/api/v1/clients/access/tokens"
START_SESSION_PATH = "/api/v2/clients/start-session"


def uneeq_request_jwt(
    secret: str,
    workspace: str,
    *,
    sid: str = "",
    custom_data: Any = None,
    **claims: Any,
) -> str:
    """The HS256 JWT a customer's server sends to UneeQ's token endpoint.

    `custom_data` is stringified as UneeQ requires; extra `claims` go in as given.
    """
    payload: dict[str, Any] = {"sid": sid, "fm-workspace": workspace}
    if custom_data is not None:
        payload["fm-custom-data"] = json.dumps(custom_data)
    payload.update(claims)
    return sign_hmac(payload, secret)


def uneeq_secret(workspace: str = "demo", fixtures: FixturesDir = None) -> str:
    """The shared secret of an UneeQ workspace in the fixtures."""
    for entry in fixtures_of(UneeqFixtures, CLIENT, fixtures).workspaces:
        if entry.id == workspace:
            return entry.secret
    raise missing(CLIENT, fixtures, f"UneeQ workspace {workspace!r}", "its secret")


def token_call(
    workspace: str = "demo",
    *,
    secret: str | None = None,
    sid: str = "",
    custom_data: Any = None,
    region: str | None = None,
    fixtures: FixturesDir = None,
) -> Call:
    """The token request, its JWT signed with the workspace's secret (from the fixtures
    unless given); `region` posts through `/uneeq/<region>`."""
    if secret is None:
        secret = uneeq_secret(workspace, fixtures)
    jwt = uneeq_request_jwt(secret, workspace, sid=sid, custom_data=custom_data)
    log.info("uneeq: signed the request JWT for workspace %s (HS256)", workspace)
    prefix = f"/uneeq/{region}" if region else "/uneeq"
    return Call(
        "uneeq: request a single-use token",
        "POST",
        prefix + TOKEN_PATH,
        headers={"workspace": workspace, "content-type": "application/jwt"},
        content=jwt,
    )


def answer(
    workspace: str = "demo",
    *,
    secret: str | None = None,
    sid: str = "",
    custom_data: Any = None,
    region: str | None = None,
    fixtures: FixturesDir = None,
) -> Steps[dict[str, Any]]:
    """UneeQ: sign the request JWT, post it; the answer `{"token": ...}`."""
    call = token_call(
        workspace, secret=secret, sid=sid, custom_data=custom_data, region=region, fixtures=fixtures
    )
    response = yield call
    return json_answer(call, response, "token")


@Flow
def uneeq_token(
    workspace: str = "demo",
    *,
    secret: str | None = None,
    sid: str = "",
    custom_data: Any = None,
    region: str | None = None,
    fixtures: FixturesDir = None,
) -> Steps[str]:
    """`uneeq_token(client, workspace="demo")`: a single-use UneeQ token (str).

    The workspace's secret comes from the fixtures unless `secret` is given;
    `region` posts through `/uneeq/<region>`.
    """
    found = yield from answer(
        workspace, secret=secret, sid=sid, custom_data=custom_data, region=region, fixtures=fixtures
    )
    return str(found["token"])


def redeem_call(token: str) -> Call:
    """What the browser SDK sends next: the token redeemed for a session, with the body
    uneeq-js 2.58.1 sends (docs/vendors/uneeq.md)."""
    body = {
        "workspaceName": "demo",
        "sessionType": 0,
        "sdkVersion": "2.58.1",
        "clientWidth": 800,
        "clientHeight": 600,
        "tokenId": token,
    }
    return Call("uneeq: start a session", "POST", "/uneeq" + START_SESSION_PATH, json=body)


def _mint(
    claims: dict[str, Any],
    *,
    workspace: str = "demo",
    sid: str = "",
    custom_data: Any = None,
    secret: str | None = None,
    fixtures: FixturesDir = None,
) -> str:
    if secret is None:
        secret = uneeq_secret(workspace, fixtures)
    sid = claims.pop("sid", sid)
    return uneeq_request_jwt(secret, workspace, sid=sid, custom_data=custom_data, **claims)


WORKSPACE = Option("--workspace", "the workspace (default demo)", default="demo")
SECRET = Option("--secret", "the workspace secret (default: from the fixtures)")
CUSTOM_DATA = Option("--custom-data", "JSON for fm-custom-data", parse=json_value)

CLIENT = VendorClient(
    id="uneeq",
    title="UneeQ",
    fixture_file="uneeq.toml",
    fixture_model=UneeqFixtures,
    answer=answer,
    token_field="token",
    summary="request JWT -> single-use token",
    options=(
        WORKSPACE,
        SECRET,
        Option("--sid", "the sid claim", default=""),
        CUSTOM_DATA,
        Option("--region", "post through /uneeq/REGION", choices=REGIONS),
    ),
    token_call=token_call,
    follow_up=lambda found, _token_call: redeem_call(found["token"]),
    redemption=Redemption(redeem_call, stored_in="sessions"),
    mint=Mint(
        "the HS256 request JWT a customer's server signs",
        (
            WORKSPACE,
            Option("--sid", "the sid claim (default empty)", default=""),
            Option("--custom-data", "JSON for fm-custom-data (sent stringified)", parse=json_value),
            SECRET,
        ),
        _mint,
        reserved=("secret", "workspace", "custom_data"),
    ),
    helpers={
        "uneeq_token": uneeq_token,
        "uneeq_request_jwt": uneeq_request_jwt,
        "uneeq_secret": uneeq_secret,
    },
)
