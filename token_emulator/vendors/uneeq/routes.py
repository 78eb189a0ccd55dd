"""UneeQ's routes, each declared once (route and OpenAPI operation), mounted at /uneeq
(any region) and /uneeq/{us,eu,au,sg}."""

from __future__ import annotations

from dataclasses import replace

from token_emulator.core.endpoints import Endpoint
from token_emulator.core.openapi import (
    Operation,
    Prefix,
    content,
    json_body,
    parameter,
    ref,
    response,
)
from token_emulator.core.vendor import BrowserCors, MountPoint
from token_emulator.vendors.uneeq import handlers
from token_emulator.vendors.uneeq.client import START_SESSION_PATH, TOKEN_PATH
from token_emulator.vendors.uneeq.models import REGIONS
from token_emulator.vendors.uneeq.schemas import (
    BAD_REQUEST,
    FORBIDDEN,
    NOT_FOUND,
    REGION,
    UNAUTHORIZED,
)

TOKEN = Operation(
    route="uneeq:token",
    method="POST",
    path=TOKEN_PATH,
    summary="Trade an HS256 request JWT for a single-use token",
    description=(
        "The body is a compact JWS signed with the workspace's secret, with claims `sid`, "
        "`fm-workspace` (equal to the `workspace` header) and optionally `fm-custom-data` "
        "(a string holding JSON); time claims, when sent, must hold."
    ),
    parameters=(
        parameter("header", "workspace", {"type": "string"}, "the workspace id", required=True),
    ),
    request_body={
        "required": True,
        "content": content({"type": "string", "description": "a compact JWS"}, "application/jwt"),
    },
    responses={
        "200": response("the single-use token", ref("UneeqToken")),
        "400": BAD_REQUEST,
        "401": UNAUTHORIZED,
        "403": FORBIDDEN,
    },
)

ENDPOINTS = (
    Endpoint(handlers.issue_token, TOKEN),
    # Public samples call the token endpoint with and without the slash.
    Endpoint(
        handlers.issue_token,
        replace(
            TOKEN,
            path=TOKEN.path + "/",
            summary=TOKEN.summary + " (the same, with a trailing slash)",
            variant="trailing-slash",
        ),
    ),
    Endpoint(
        handlers.start_session,
        Operation(
            route="uneeq:start-session",
            method="POST",
            path=START_SESSION_PATH,
            summary="Redeem the single-use token and start a session, as uneeq-js does",
            request_body=json_body(ref("UneeqStartSession")),
            responses={
                "200": response(
                    "the session",
                    ref("UneeqSession"),
                    headers={
                        "x-auth-token": {
                            "description": "the session's auth token",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    },
                ),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
            },
        ),
    ),
    # uneeq-js calls this one without the /api prefix.
    Endpoint(
        handlers.session_jwt,
        Operation(
            route="uneeq:session-jwt",
            method="POST",
            path="/v1/jwt/token",
            summary="An HS256 JWT over the session id, signed with the workspace's secret",
            request_body=json_body(ref("UneeqSessionJwtRequest")),
            responses={
                "200": response("the session JWT", ref("UneeqToken")),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
            },
        ),
    ),
)

PREFIXES = (
    Prefix("/uneeq"),
    Prefix(
        "/uneeq/{region}",
        parameters=(REGION,),
        variant="regional",
        # Another region names no mount: /uneeq/xx/... is a path /uneeq does not serve.
        responses={"404": NOT_FOUND},
    ),
)


# Regional prefixes first: "/uneeq" would otherwise swallow "/uneeq/eu/...". The
# handlers learn the region the request came through (None: any).
MOUNT_POINTS = (
    *(MountPoint(f"/uneeq/{region}", {handlers.REGION_KEY: region}) for region in REGIONS),
    MountPoint("/uneeq", {handlers.REGION_KEY: None}),
)
# uneeq-js calls from the browser and reads the x-auth-token header.
CORS = BrowserCors(expose=("x-auth-token",))
