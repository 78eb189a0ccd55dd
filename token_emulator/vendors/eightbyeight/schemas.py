"""The shapes of 8x8's bodies, refusals (JSON and pages) and credentials, as the OpenAPI
document describes them."""

from __future__ import annotations

from typing import Any

from token_emulator.core.openapi import (
    INSTANT,
    obj,
    parameter,
    ref,
    response,
)
from token_emulator.vendors.eightbyeight.backend import (
    CALL_REFERENCE_CHARS,
    E164,
)
from token_emulator.vendors.eightbyeight.errors import FORBIDDEN, UNAUTHORIZED, code_for

# Starlette's words when an id cannot be a path segment (a newline, a slash): no route matches.
ROUTE_MISS = "Not Found"
# errors.timestamp(): UTC, hundredths of a second.
TIMESTAMP = r"^[0-9]+-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{2}Z$"


def _error_schema(status: int, *messages: str) -> dict[str, Any]:
    """8x8's platform-wide error JSON with this status's code; no `messages`: it varies."""
    return obj(
        {
            "code": {"const": code_for(status)},
            "message": {"enum": list(messages)} if messages else {"type": "string"},
            "errorId": {"type": "string", "format": "uuid"},
            "timestamp": {"type": "string", "pattern": TIMESTAMP},
        },
        ["code", "message", "errorId", "timestamp"],
    )


def _error(status: int, what: str, *messages: str) -> dict[str, Any]:
    return response(
        f"{what}; the reason is in the x-emulator-reason header", _error_schema(status, *messages)
    )


def page_answer(what: str) -> dict[str, Any]:
    return response(what, {"type": "string"}, media_type="text/html")


RESPONSES = {
    "EightByEightBadRequest": _error(400, "the message says what is wrong"),
    "EightByEightUnauthorized": _error(401, "credentials missing or refused", UNAUTHORIZED),
    "EightByEightCallNotFound": _error(
        404,
        "no such call for this API key (`Not Found`: the id cannot be a path segment)",
        "Call not found",
        ROUTE_MISS,
    ),
    "EightByEightBadRequestPage": page_answer("an HTML page: the login link lacks user or token"),
    "EightByEightUnauthorizedPage": page_answer("an HTML page: the token is unknown or expired"),
    "EightByEightForbiddenPage": page_answer(
        f"an HTML page ({FORBIDDEN}): the agent is not registered"
    ),
    "EightByEightRoomNotFound": {
        "description": (
            "an HTML page: no such room; JSON (`Not Found`) when the id cannot be a path "
            "segment and no route matches"
        ),
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": _error_schema(404, ROUTE_MISS)},
        },
    },
    "EightByEightGonePage": page_answer("an HTML page: the room has expired"),
}

REFERENCE_MIN, REFERENCE_MAX = CALL_REFERENCE_CHARS
SCHEMAS = {
    "EightByEightTokenRequest": obj(
        {
            "create_room": {"type": "boolean", "default": False},
            "phone_number": {
                "type": "string",
                "pattern": f"^{E164.pattern}$",
                "description": "E.164; the agent's login sends the guest link there by SMS",
            },
            "call_reference": {
                "type": "string",
                "minLength": REFERENCE_MIN,
                "maxLength": REFERENCE_MAX,
            },
        },
        additional=True,  # unknown fields are ignored
    ),
    "EightByEightToken": obj(
        {
            "auth_token": {"type": "string"},
            "call_reference": {"type": "string"},
            "guest_link": {"type": "string", "format": "uri"},
        },
        ["auth_token"],
        dependentRequired={
            "call_reference": ["guest_link"],
            "guest_link": ["call_reference"],
        },
        description="with create_room, also the room's call_reference and guest_link",
    ),
    "EightByEightCall": obj(
        {
            "id": {"type": "string"},
            "call_reference": {"type": "string"},
            "phone_number": {"type": ["string", "null"]},
            "guest_link": {"type": "string", "format": "uri"},
            "created_at": INSTANT,
            "expires_at": INSTANT,
            "status": {"enum": ["active", "expired"]},
            "agent_logins": {
                "type": "array",
                "items": obj({"email": {"type": "string"}, "time": INSTANT}, ["email", "time"]),
            },
        },
        [
            "id",
            "call_reference",
            "phone_number",
            "guest_link",
            "created_at",
            "expires_at",
            "status",
            "agent_logins",
        ],
    ),
    "EightByEightCallPage": obj(
        {
            "calls": {"type": "array", "items": ref("EightByEightCall")},
            "next_cursor": {"type": ["string", "null"]},
        },
        ["calls", "next_cursor"],
    ),
}

API_KEY = ({"eightByEightApiKey": []},)
X_TOKEN = ({"eightByEightXToken": []},)
SECURITY_SCHEMES = {
    "eightByEightApiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "the API key, as `Authorization: Bearer <API key>`",
    },
    "eightByEightXToken": {
        "type": "apiKey",
        "in": "header",
        "name": "x-token",
        "description": "an auth_token from POST /8x8/api/v1/tokens (Authorization is refused here)",
    },
}

DESCRIPTION = "8x8 Video Interaction: API-key tokens, rooms, agent logins, call logs"
REPORTING_ERRORS = {
    "400": ref("EightByEightBadRequest", "responses"),
    "401": ref("EightByEightUnauthorized", "responses"),
}


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return parameter("query", name, schema, description)
