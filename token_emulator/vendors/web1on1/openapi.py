"""web1on1's routes as the OpenAPI document describes them (see routes.py, errors.py)."""

from __future__ import annotations

from typing import Any

from token_emulator.core.openapi import (
    INSTANT,
    ApiDescription,
    Operation,
    Prefix,
    control_error,
    json_body,
    obj,
    parameter,
    ref,
    response,
    string_enum,
)
from token_emulator.vendors.web1on1 import errors, records
from token_emulator.vendors.web1on1.backend import INVALID_CREDENTIALS, INVALID_REFRESH
from token_emulator.vendors.web1on1.models import KINDS, ROLES
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


def _answer(name: str) -> dict[str, str]:
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
    "401": _answer("Web1on1Unauthorized"),
    "403": _answer("Web1on1Forbidden"),
    "429": _answer("Web1on1TooManyRequests"),
}
LIST_HEADERS = {
    name: {"description": description, "required": True, "schema": {"type": "integer"}}
    for name, description in (
        ("X-Total-Count", "records in the caller's organization"),
        ("X-Limit", "the page size used"),
        ("X-Offset", "the offset used"),
    )
}


def _needs(kind: str, action: Action) -> str:
    text = f"The permission table needs scope `{lowest_scope(kind, action)}` or higher"
    if kind == "users" and action in ("fetch", "update"):
        text += f" (`{lowest_scope(kind, action, on_self=True)}` for the caller's own user)"
    return text + "; another organization's record is 404."


def _record(description: str) -> dict[str, Any]:
    return response(description, ref("Web1on1Record"))


def _kind_operations(kind: str) -> list[Operation]:
    singular = kind.removesuffix("s")
    item = f"/v2/{kind}/{{record_id}}"
    record_id = parameter("path", "record_id", {"type": "string"})
    new_fields = {"users": "Web1on1NewUser", "messages": "Web1on1NewMessage"}
    changed_fields = "Web1on1UserFields" if kind == "users" else "Web1on1Fields"
    write_errors: dict[str, Any] = {
        "400": _answer("Web1on1BadRequest"),
        **AUTHENTICATED,
        "404": _answer("Web1on1NotFound"),
        "409": _answer("Web1on1Conflict"),
    }
    create_errors: dict[str, Any] = {"400": _answer("Web1on1BadRequest"), **AUTHENTICATED}
    if kind == "users":
        create_errors["409"] = _answer("Web1on1Conflict")
    found = [
        Operation(
            route=f"web1on1:{kind}",
            method="GET",
            path=f"/v2/{kind}",
            summary=f"List {kind} of the caller's organization",
            description=_needs(kind, "list"),
            parameters=(
                parameter(
                    "query",
                    "limit",
                    {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": records.MAX_LIMIT,
                        "default": records.DEFAULT_LIMIT,
                    },
                ),
                parameter("query", "offset", {"type": "integer", "minimum": 0, "default": 0}),
                parameter(
                    "query",
                    "sort",
                    {"type": "string"},
                    "field names, comma or space separated; `-name` sorts descending",
                ),
                parameter(
                    "query", "select", {"type": "string"}, "the fields to return besides `_id`"
                ),
            ),
            security=BEARER,
            responses={
                "200": response(
                    "a page of records",
                    {"type": "array", "items": ref("Web1on1ListedRecord")},
                    headers=LIST_HEADERS,
                ),
                "400": _answer("Web1on1BadRequest"),
                **AUTHENTICATED,
            },
        ),
        Operation(
            route=f"web1on1:{kind}",
            method="POST",
            path=f"/v2/{kind}",
            summary=f"Create one of the {kind}",
            description=_needs(kind, "create"),
            security=BEARER,
            request_body=json_body(
                ref(new_fields.get(kind, "Web1on1Fields")), required=kind in new_fields
            ),
            responses={"201": _record("the new record"), **create_errors},
        ),
        Operation(
            route=f"web1on1:{singular}",
            method="GET",
            path=item,
            summary=f"Fetch one of the {kind}",
            description=_needs(kind, "fetch"),
            parameters=(record_id,),
            security=BEARER,
            responses={
                "200": _record("the record"),
                **AUTHENTICATED,
                "404": _answer("Web1on1NotFound"),
            },
        ),
        Operation(
            route=f"web1on1:{singular}",
            method="PATCH",
            path=item,
            summary=f"Merge top-level fields into one of the {kind}",
            description=_needs(kind, "update"),
            parameters=(record_id,),
            security=BEARER,
            request_body=json_body(ref(changed_fields), required=False),
            responses={"200": _record("the record as it is now"), **write_errors},
        ),
        Operation(
            route=f"web1on1:{singular}",
            method="DELETE",
            path=item,
            summary=f"Delete one of the {kind}",
            description=_needs(kind, "delete"),
            parameters=(record_id,),
            security=BEARER,
            responses={
                "200": _record("the deleted record"),
                **AUTHENTICATED,
                "404": _answer("Web1on1NotFound"),
            },
        ),
    ]
    if kind == "messages":
        found.append(
            Operation(
                route=f"web1on1:{singular}",
                method="PUT",
                path=item,
                summary="Replace a message's fields (the API's one PUT)",
                description=_needs(kind, "update"),
                parameters=(record_id,),
                security=BEARER,
                request_body=json_body(ref("Web1on1Fields"), required=False),
                responses={"200": _record("the message as it is now"), **write_errors},
            )
        )
    return found


TOKEN_ANSWER = response("new access and refresh tokens", ref("Web1on1Tokens"))

OPERATIONS = (
    Operation(
        route="web1on1:token",
        method="POST",
        path="/v2/auth/token",
        summary="Log in with email and password, or refresh after the access token expired",
        request_body=json_body(ref("Web1on1Login"), required=False),
        responses={
            "201": TOKEN_ANSWER,
            "400": _answer("Web1on1BadRequest"),
            "401": _answer("Web1on1LoginRefused"),
            "429": _answer("Web1on1TooManyRequests"),
        },
    ),
    Operation(
        route="web1on1:token",
        method="GET",
        path="/v2/auth/token",
        summary="Refresh before expiry, with the live access token as Bearer",
        parameters=(
            parameter("query", "refreshToken", {"type": "string", "minLength": 1}, required=True),
        ),
        security=BEARER,
        responses={
            "201": TOKEN_ANSWER,
            "400": _answer("Web1on1BadRequest"),
            "401": _answer("Web1on1RefreshRefused"),
            "403": _answer("Web1on1Forbidden"),
            "429": _answer("Web1on1TooManyRequests"),
        },
    ),
    Operation(
        route="web1on1:conversation-messages",
        method="POST",
        path="/v2/conversations/{record_id}/messages",
        summary="Post a message to a conversation, as the official SDK does",
        description=_needs("messages", "create"),
        parameters=(parameter("path", "record_id", {"type": "string"}, "the conversation"),),
        security=BEARER,
        request_body=json_body(ref("Web1on1Fields"), required=False),
        responses={
            "201": _record("the new message"),
            "400": _answer("Web1on1BadRequest"),
            **AUTHENTICATED,
            "404": _answer("Web1on1NotFound"),
        },
    ),
    *(operation for kind in KINDS for operation in _kind_operations(kind)),
)

CONTROL_OPERATIONS = (
    Operation(
        route="control:web1on1-api-keys",
        method="GET",
        path="/api-keys",
        summary="web1on1's API keys with the Bearer token of each",
        responses={
            "200": response(
                "the API keys",
                obj(
                    {"api_keys": {"type": "array", "items": ref("Web1on1ApiKeyWithToken")}},
                    ["api_keys"],
                ),
            )
        },
    ),
    Operation(
        route="control:web1on1-api-key",
        method="DELETE",
        path="/api-keys/{key_id}",
        summary="Revoke a web1on1 API key until the next reset",
        parameters=(parameter("path", "key_id", {"type": "string"}),),
        responses={
            "200": response("the revoked key", ref("Web1on1ApiKey")),
            "404": control_error("no such API key"),
        },
    ),
    Operation(
        route="control:web1on1-user-tokens",
        method="DELETE",
        path="/users/{user_id}/tokens",
        summary="Revoke every access and refresh token of a web1on1 user",
        parameters=(parameter("path", "user_id", {"type": "string"}),),
        responses={
            "200": response(
                "how many access tokens were revoked",
                obj(
                    {
                        "user": {"type": "string"},
                        "revoked_access_tokens": {"type": "integer", "minimum": 0},
                    },
                    ["user", "revoked_access_tokens"],
                ),
            ),
            "404": control_error("no such user"),
        },
    ),
)


def describe() -> ApiDescription:
    return ApiDescription(
        description="web1on1: logins, refresh chains, API keys, resources behind the permissions",
        prefixes=(Prefix("/web1on1"),),
        operations=OPERATIONS,
        schemas=SCHEMAS,
        responses=RESPONSES,
        security_schemes=SECURITY_SCHEMES,
        control_operations=CONTROL_OPERATIONS,
    )
