"""web1on1's routes as data, mounted at /web1on1."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, Router

from token_emulator.core.mounts import vendor_mount
from token_emulator.vendors.web1on1 import handlers
from token_emulator.vendors.web1on1.errors import render_error
from token_emulator.vendors.web1on1.models import KINDS

# Headers a browser page may read: the list metadata and the rate limit's wait.
EXPOSED_HEADERS = ("X-Total-Count", "X-Limit", "X-Offset", "Retry-After")


def _resource_routes() -> list[Route]:
    routes = []
    for kind in KINDS:
        singular = kind.removesuffix("s")  # organizations -> organization, kbitems -> kbitem
        item_methods = ["GET", "PATCH", "DELETE"]
        if kind == "messages":
            item_methods.append("PUT")  # the API's one PUT (FINDINGS.md)
        routes += [
            Route(
                f"/v2/{kind}",
                handlers.collection(kind),
                methods=["GET", "POST"],
                name=f"web1on1:{kind}",
            ),
            Route(
                f"/v2/{kind}/{{record_id}}",
                handlers.item(kind),
                methods=item_methods,
                name=f"web1on1:{singular}",
            ),
        ]
    return routes


ROUTES = [
    Route("/v2/auth/token", handlers.token, methods=["GET", "POST"], name="web1on1:token"),
    Route(
        "/v2/conversations/{record_id}/messages",
        handlers.conversation_messages,
        methods=["POST"],
        name="web1on1:conversation-messages",
    ),
    *_resource_routes(),
]

CONTROL_ROUTES = [
    Route("/api-keys", handlers.control_api_keys, methods=["GET"], name="control:web1on1-api-keys"),
    Route(
        "/api-keys/{key_id}",
        handlers.control_revoke_api_key,
        methods=["DELETE"],
        name="control:web1on1-api-key",
    ),
    Route(
        "/users/{user_id}/tokens",
        handlers.control_revoke_user_tokens,
        methods=["DELETE"],
        name="control:web1on1-user-tokens",
    ),
]


def mounts() -> list[BaseRoute]:
    # The official SDK runs in browsers too: permissive CORS exposing the list headers.
    return [vendor_mount("/web1on1", Router(ROUTES), render_error, cors_expose=EXPOSED_HEADERS)]


def control_routes() -> list[BaseRoute]:
    return list(CONTROL_ROUTES)
