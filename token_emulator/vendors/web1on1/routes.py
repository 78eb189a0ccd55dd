"""web1on1's routes, each declared once (route and OpenAPI operation), mounted at
/web1on1; its vendor-specific control calls at /_emulator/web1on1."""

from __future__ import annotations

from typing import Any

from token_emulator.core.endpoints import Endpoint
from token_emulator.core.openapi import (
    Operation,
    Prefix,
    control_error,
    json_body,
    obj,
    parameter,
    ref,
    response,
)
from token_emulator.core.vendor import BrowserCors
from token_emulator.vendors.web1on1 import handlers, records
from token_emulator.vendors.web1on1.models import KINDS
from token_emulator.vendors.web1on1.schemas import (
    AUTHENTICATED,
    BEARER,
    LIST_HEADERS,
    TOKEN_ANSWER,
    answer_ref,
    needs,
    record_answer,
)

# Headers a browser page may read: the list metadata and the rate limit's wait.
EXPOSED_HEADERS = ("X-Total-Count", "X-Limit", "X-Offset", "Retry-After")


def _kind_endpoints(kind: str) -> list[Endpoint]:
    """A resource of the permission table: its collection and its items."""
    singular = kind.removesuffix("s")
    item = f"/v2/{kind}/{{record_id}}"
    record_id = parameter("path", "record_id", {"type": "string"})
    new_fields = {"users": "Web1on1NewUser", "messages": "Web1on1NewMessage"}
    changed_fields = "Web1on1UserFields" if kind == "users" else "Web1on1Fields"
    write_errors: dict[str, Any] = {
        "400": answer_ref("Web1on1BadRequest"),
        **AUTHENTICATED,
        "404": answer_ref("Web1on1NotFound"),
        "409": answer_ref("Web1on1Conflict"),
    }
    create_errors: dict[str, Any] = {"400": answer_ref("Web1on1BadRequest"), **AUTHENTICATED}
    if kind == "users":
        create_errors["409"] = answer_ref("Web1on1Conflict")
    list_them = Operation(
        route=f"web1on1:{kind}",
        method="GET",
        path=f"/v2/{kind}",
        summary=f"List {kind} of the caller's organization",
        description=needs(kind, "list"),
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
            parameter("query", "select", {"type": "string"}, "the fields to return besides `_id`"),
        ),
        security=BEARER,
        responses={
            "200": response(
                "a page of records",
                {"type": "array", "items": ref("Web1on1ListedRecord")},
                headers=LIST_HEADERS,
            ),
            "400": answer_ref("Web1on1BadRequest"),
            **AUTHENTICATED,
        },
    )
    create = Operation(
        route=f"web1on1:{kind}",
        method="POST",
        path=f"/v2/{kind}",
        summary=f"Create one of the {kind}",
        description=needs(kind, "create"),
        security=BEARER,
        request_body=json_body(
            ref(new_fields.get(kind, "Web1on1Fields")), required=kind in new_fields
        ),
        responses={"201": record_answer("the new record"), **create_errors},
    )
    fetch = Operation(
        route=f"web1on1:{singular}",
        method="GET",
        path=item,
        summary=f"Fetch one of the {kind}",
        description=needs(kind, "fetch"),
        parameters=(record_id,),
        security=BEARER,
        responses={
            "200": record_answer("the record"),
            **AUTHENTICATED,
            "404": answer_ref("Web1on1NotFound"),
        },
    )
    patch = Operation(
        route=f"web1on1:{singular}",
        method="PATCH",
        path=item,
        summary=f"Merge top-level fields into one of the {kind}",
        description=needs(kind, "update"),
        parameters=(record_id,),
        security=BEARER,
        request_body=json_body(ref(changed_fields), required=False),
        responses={"200": record_answer("the record as it is now"), **write_errors},
    )
    delete = Operation(
        route=f"web1on1:{singular}",
        method="DELETE",
        path=item,
        summary=f"Delete one of the {kind}",
        description=needs(kind, "delete"),
        parameters=(record_id,),
        security=BEARER,
        responses={
            "200": record_answer("the deleted record"),
            **AUTHENTICATED,
            "404": answer_ref("Web1on1NotFound"),
        },
    )
    item_operations = [fetch, patch, delete]
    if kind == "messages":
        # The API's one PUT (docs/vendors/web1on1.md).
        item_operations.append(
            Operation(
                route=f"web1on1:{singular}",
                method="PUT",
                path=item,
                summary="Replace a message's fields (the API's one PUT)",
                description=needs(kind, "update"),
                parameters=(record_id,),
                security=BEARER,
                request_body=json_body(ref("Web1on1Fields"), required=False),
                responses={"200": record_answer("the message as it is now"), **write_errors},
            )
        )
    return [
        Endpoint(handlers.collection(kind), list_them, create),
        Endpoint(handlers.item(kind), *item_operations),
    ]


ENDPOINTS = (
    Endpoint(
        handlers.token,
        Operation(
            route="web1on1:token",
            method="POST",
            path="/v2/auth/token",
            summary="Log in with email and password, or refresh after the access token expired",
            request_body=json_body(ref("Web1on1Login"), required=False),
            responses={
                "201": TOKEN_ANSWER,
                "400": answer_ref("Web1on1BadRequest"),
                "401": answer_ref("Web1on1LoginRefused"),
                "429": answer_ref("Web1on1TooManyRequests"),
            },
        ),
        Operation(
            route="web1on1:token",
            method="GET",
            path="/v2/auth/token",
            summary="Refresh before expiry, with the live access token as Bearer",
            parameters=(
                parameter(
                    "query", "refreshToken", {"type": "string", "minLength": 1}, required=True
                ),
            ),
            security=BEARER,
            responses={
                "201": TOKEN_ANSWER,
                "400": answer_ref("Web1on1BadRequest"),
                "401": answer_ref("Web1on1RefreshRefused"),
                "403": answer_ref("Web1on1Forbidden"),
                "429": answer_ref("Web1on1TooManyRequests"),
            },
        ),
    ),
    Endpoint(
        handlers.conversation_messages,
        Operation(
            route="web1on1:conversation-messages",
            method="POST",
            path="/v2/conversations/{record_id}/messages",
            summary="Post a message to a conversation, as the official SDK does",
            description=needs("messages", "create"),
            parameters=(parameter("path", "record_id", {"type": "string"}, "the conversation"),),
            security=BEARER,
            request_body=json_body(ref("Web1on1Fields"), required=False),
            responses={
                "201": record_answer("the new message"),
                "400": answer_ref("Web1on1BadRequest"),
                **AUTHENTICATED,
                "404": answer_ref("Web1on1NotFound"),
            },
        ),
    ),
    *(endpoint for kind in KINDS for endpoint in _kind_endpoints(kind)),
)

CONTROL_ENDPOINTS = (
    Endpoint(
        handlers.control_api_keys,
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
    ),
    Endpoint(
        handlers.control_revoke_api_key,
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
    ),
    Endpoint(
        handlers.control_revoke_user_tokens,
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
    ),
)

PREFIXES = (Prefix("/web1on1"),)


# The official SDK runs in browsers too: permissive CORS exposing the list headers.
CORS = BrowserCors(expose=EXPOSED_HEADERS)
