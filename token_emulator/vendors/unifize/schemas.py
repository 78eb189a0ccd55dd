"""The shapes of Unifize's bodies, refusals and credentials, as the OpenAPI document
describes them."""

from __future__ import annotations

from typing import Any

from token_emulator.core.openapi import (
    INSTANT,
    obj,
    ref,
    response,
)
from token_emulator.vendors.unifize.errors import CODES

ID: dict[str, Any] = {"type": "integer", "format": "int64", "minimum": 0}


# Starlette's words when an id cannot be a path segment (a newline, a slash): no route matches.
ROUTE_MISS = "Not Found"


def _error(status: int, *also: str) -> dict[str, Any]:
    code, message = CODES[status]
    messages = [message, *also]
    schema = obj(
        {
            "status": {"const": status},
            "error": {"const": code},
            "message": {"enum": messages} if also else {"const": message},
        },
        ["status", "error", "message"],
    )
    return response(f"`{code}`; the reason is in the x-emulator-reason header", schema)


RESPONSES = {
    "UnifizeBadRequest": _error(400),
    "UnifizeUnauthorized": _error(401),
    "UnifizeForbidden": _error(403),
    "UnifizeNotFound": _error(404, ROUTE_MISS),
}

SCHEMAS = {
    "UnifizeAccessToken": obj(
        {"accessToken": {"type": "string"}, "expiresAt": INSTANT}, ["accessToken", "expiresAt"]
    ),
    "UnifizeTokenInfoRequest": obj(
        {"token": {"type": "string", "minLength": 1, "description": "an access token"}},
        ["token"],
        additional=True,
    ),
    "UnifizeTokenInfo": obj(
        {
            "uid": {"type": "string", "description": "the app's bot user"},
            "appId": ID,
            "expiry": {"type": "integer", "description": "epoch milliseconds"},
            "orgId": ID,
        },
        ["uid", "appId", "expiry", "orgId"],
    ),
    "UnifizeChatroom": obj(
        {
            "id": ID,
            "title": {"type": "string"},
            "orgId": ID,
            "status": {"type": "string"},
            "members": {"type": "array", "items": {"type": "string"}},
            "templateId": {"oneOf": [ID, {"type": "null"}]},
            "createdAt": {"type": "string"},
            "updatedAt": {"type": "string"},
        },
        ["id", "title", "orgId", "status", "members", "templateId", "createdAt", "updatedAt"],
    ),
}

ASSERTION = ({"unifizeAssertion": []},)
ACCESS = ({"unifizeAccessToken": []},)
SECURITY_SCHEMES = {
    "unifizeAssertion": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "An RS256 assertion signed with the app's private key: `iss` = the app id as a "
            "string, `iat` = now, `exp` at most 600 s after `iat`"
        ),
    },
    "unifizeAccessToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "an access token from POST /unifize/application/token",
    },
}

DESCRIPTION = "Unifize: app assertions, access tokens, chatrooms"
TOKEN_RESPONSES = {
    "200": response("an access token for the org", ref("UnifizeAccessToken")),
    "401": ref("UnifizeUnauthorized", "responses"),
}
ROOM_ERRORS = {
    "401": ref("UnifizeUnauthorized", "responses"),
    "403": ref("UnifizeForbidden", "responses"),
}
