"""The shapes of web1on1's bodies, refusals and credentials, as the OpenAPI document
describes them."""

from __future__ import annotations

from typing import Any

from token_emulator.core.openapi import (
    INSTANT,
    obj,
    ref,
    response,
    string_enum,
)
from token_emulator.vendors.web1on1 import errors, records
from token_emulator.vendors.web1on1.backend import INVALID_CREDENTIALS, INVALID_REFRESH
from token_emulator.vendors.web1on1.models import ROLES
from token_emulator.vendors.web1on1.permissions import Operation as Action
from token_emulator.vendors.web1on1.permissions import lowest_scope

# Every refusal of a Bearer token (backend._bearer, _verified_claims, authenticate).
BEARER_MESSAGES = (
    errors.NO_TOKEN,
    "Format is Authorization: Bearer [token]",
    errors.INVALID_SIGNATURE,
    errors.INVALID_TOKEN,
    "jwt not active",
    errors.EXPIRED,  # with expired_token_status = 401, the default
)


def _error(
    description: str, message: dict[str, Any], headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    schema = obj({"error": obj({"message": message}, ["message"])}, ["error"])
    return response(
        description + "; the reason is in the x-emulator-reason header", schema, headers=headers
    )


RESPONSES = {
    "Web1on1BadRequest": _error("the message names what is wrong", {"type": "string"}),
    "Web1on1Unauthorized": _error("no usable Bearer token", string_enum(*BEARER_MESSAGES)),
    "Web1on1LoginRefused": _error(
        "wrong credentials or refresh token", string_enum(INVALID_CREDENTIALS, INVALID_REFRESH)
    ),
    "Web1on1RefreshRefused": _error(
        "no usable Bearer token, or a refresh token that is not",
        string_enum(*BEARER_MESSAGES, INVALID_REFRESH),
    ),
    "Web1on1Forbidden": _error(
        "the permission table refuses the caller's scope (or, with expired_token_status = 403, "
        "the token has expired)",
        string_enum("Permission denied", errors.EXPIRED),
    ),
    "Web1on1NotFound": _error(
        "no such record in the caller's organization (`Not Found`: the id cannot be a path "
        "segment and no route matches)",
        string_enum("Not found", "Not Found"),
    ),
    "Web1on1Conflict": _error(
        "the email is taken, or the record kept changing", {"type": "string"}
    ),
    "Web1on1TooManyRequests": _error(
        "more than rate_limit_per_second requests from one IP or API key in one emulator second",
        {"const": "Too many requests"},
        headers={
            "Retry-After": {
                "description": "whole seconds to wait",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    ),
}


def answer_ref(name: str) -> dict[str, str]:
    return ref(name, "responses")


API_KEY: dict[str, Any] = {
    "id": {"type": "string"},
    "user": {"type": "string"},
    "scopes": {"type": "array", "items": string_enum(*ROLES)},
    "revoked_at": {"oneOf": [INSTANT, {"type": "null"}]},
}

SCHEMAS = {
    "Web1on1Login": {
        "anyOf": [
            obj(
                {"email": {"type": "string"}, "password": {"type": "string"}},
                ["email", "password"],
                additional=True,
            ),
            obj(
                {
                    "refreshToken": {"type": "string"},
                    "clientId": {"type": "string", "description": "the user's email"},
                },
                ["refreshToken", "clientId"],
                additional=True,
            ),
        ],
        "description": "a password login, or a refresh after the access token expired",
    },
    "Web1on1Tokens": obj(
        {
            "tokenType": {"const": "Bearer"},
            "token": {"type": "string"},
            "refreshToken": {"type": "string"},
            "user": {"type": "string"},
            "organization": {"type": "string"},
            "expiresAt": {"oneOf": [INSTANT, {"type": "null"}], "description": "null for bots"},
            "scope": string_enum(*ROLES),
        },
        ["tokenType", "token", "refreshToken", "user", "organization", "expiresAt", "scope"],
    ),
    "Web1on1Record": obj(
        {
            "_id": {"type": "string"},
            "organization": {"type": "string"},
            "createdAt": {"type": "string"},
            "updatedAt": {"type": "string"},
        },
        ["_id", "createdAt", "updatedAt"],
        additional=True,
        description="a record with whatever fields it was given",
    ),
    "Web1on1ListedRecord": obj(
        {"_id": {"type": "string"}},
        ["_id"],
        additional=True,
        description="a record, or only `_id` and the fields `select` names",
    ),
    "Web1on1Fields": obj(
        {}, additional=True, description="top-level fields; _id, organization and times are ignored"
    ),
    "Web1on1NewUser": obj(
        {
            "email": {"type": "string", "maxLength": 254, "pattern": records.EMAIL.pattern},
            "password": {"type": "string", "minLength": 1},
            "role": {**string_enum(*ROLES), "default": "guest"},
        },
        ["email", "password"],
        additional=True,
    ),
    "Web1on1UserFields": obj(
        {
            "email": {"type": "string", "maxLength": 254, "pattern": records.EMAIL.pattern},
            "password": {"type": "string", "minLength": 1},
            "role": {**string_enum(*ROLES), "description": "only an admin may change it"},
        },
        additional=True,
    ),
    "Web1on1NewMessage": obj(
        {"conversation": {"type": "string", "description": "a conversation of the caller's"}},
        ["conversation"],
        additional=True,
    ),
    "Web1on1ApiKey": obj(API_KEY, list(API_KEY)),
    "Web1on1ApiKeyWithToken": obj(
        {**API_KEY, "token": {"type": "string", "description": "send it as Bearer"}},
        [*API_KEY, "token"],
    ),
}

BEARER = ({"web1on1Bearer": []},)
SECURITY_SCHEMES = {
    "web1on1Bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "an access token from POST /web1on1/v2/auth/token, or an API key's token "
            "(GET /_emulator/web1on1/api-keys)"
        ),
    }
}

# Every authenticated call: the token refused, the scope refused, the rate exceeded.
AUTHENTICATED = {
    "401": answer_ref("Web1on1Unauthorized"),
    "403": answer_ref("Web1on1Forbidden"),
    "429": answer_ref("Web1on1TooManyRequests"),
}
LIST_HEADERS = {
    name: {"description": description, "required": True, "schema": {"type": "integer"}}
    for name, description in (
        ("X-Total-Count", "records in the caller's organization"),
        ("X-Limit", "the page size used"),
        ("X-Offset", "the offset used"),
    )
}

DESCRIPTION = "web1on1: logins, refresh chains, API keys, resources behind the permissions"


def needs(kind: str, action: Action) -> str:
    text = f"The permission table needs scope `{lowest_scope(kind, action)}` or higher"
    if kind == "users" and action in ("fetch", "update"):
        text += f" (`{lowest_scope(kind, action, on_self=True)}` for the caller's own user)"
    return text + "; another organization's record is 404."


def record_answer(description: str) -> dict[str, Any]:
    return response(description, ref("Web1on1Record"))


TOKEN_ANSWER = response("new access and refresh tokens", ref("Web1on1Tokens"))
