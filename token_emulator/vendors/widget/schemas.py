"""The shapes of the widget's bodies, refusals and credentials, as the OpenAPI document
describes them."""

from __future__ import annotations

from typing import Any

from token_emulator.core.openapi import (
    INSTANT,
    obj,
    ref,
    response,
)
from token_emulator.vendors.widget import errors
from token_emulator.vendors.widget.backend import MAX_EMAIL_CHARS, MAX_FIELD_CHARS
from token_emulator.vendors.widget.models import Branding


def _refusal(description: str, *messages: str) -> dict[str, Any]:
    """Refusals are the page's message as the whole text/plain body (errors.py)."""
    body: dict[str, Any] = (
        {"type": "string", "const": messages[0]}
        if len(messages) == 1
        else {"type": "string", "enum": list(messages)}
    )
    return response(
        description + "; the reason is in the x-emulator-reason header",
        body,
        media_type="text/plain",
    )


def answer_ref(name: str) -> dict[str, str]:
    return ref(name, "responses")


RESPONSES = {
    "WidgetGuestBadRequest": _refusal(
        "no registered client_key, or a bad agent_id",
        errors.MISSING_CLIENT_KEY,
        errors.BAD_AGENT_ID,
    ),
    "WidgetGuestForbidden": _refusal(
        "the origin, the agent or the agent's auth_mode refuses a guest",
        errors.ORIGIN_REFUSED,
        errors.AGENT_REFUSED,
        errors.GUEST_DISABLED,
    ),
    "WidgetUserBadRequest": _refusal("client_key or user_id missing or wrong", errors.MISSING_USER),
    "WidgetUserUnauthorized": _refusal(
        "no secret key of the client key's account", errors.BAD_API_KEY
    ),
    "WidgetUserForbidden": _refusal("the agent's auth_mode is guest", errors.USER_DISABLED),
    "WidgetExchangeBadRequest": _refusal(
        "the visitor token or client key is missing, unknown, expired or spent", errors.BAD_TOKEN
    ),
    "WidgetOriginForbidden": _refusal(
        "no Origin (or Referer) the client key's allowlist covers", errors.ORIGIN_REFUSED
    ),
    "WidgetRefreshBadRequest": _refusal(
        "the session token is missing, unknown, past its grace, spent or revoked",
        errors.BAD_REFRESH,
    ),
    "WidgetConfigBadRequest": _refusal(
        "no registered client_key, or it is given twice", errors.MISSING_CLIENT_KEY
    ),
    "WidgetConfigForbidden": _refusal(
        "no Origin (or Referer) the client key's allowlist covers", errors.CONFIG_ORIGIN_REFUSED
    ),
}

STRING = {"type": "string"}
BRANDING = tuple(Branding.model_fields)
SCHEMAS = {
    "WidgetGuestRequest": obj(
        {"client_key": STRING, "agent_id": {"type": "string", "minLength": 1}},
        ["client_key"],
        additional=True,
    ),
    "WidgetUserTokenRequest": obj(
        {
            "client_key": STRING,
            "user_id": {"type": "string", "minLength": 1, "maxLength": MAX_FIELD_CHARS},
            "external_user_id": {
                "type": "string",
                "description": "the vendor guide's name for user_id; must equal it when both",
            },
            "display_name": {"type": "string", "maxLength": MAX_FIELD_CHARS},
            "email": {"type": "string", "maxLength": MAX_EMAIL_CHARS},
        },
        ["client_key"],
        additional=True,
    ),
    "WidgetExchangeRequest": obj(
        {"token": {"type": "string", "description": "a visitor token"}, "client_key": STRING},
        ["token", "client_key"],
        additional=True,
    ),
    "WidgetRefreshRequest": obj(
        {"refresh_token": {"type": "string", "description": "a session token"}},
        ["refresh_token"],
        additional=True,
    ),
    "WidgetVisitorToken": obj(
        {"token": STRING, "expires_at": INSTANT, "expires_in": {"type": "integer"}},
        ["token", "expires_at", "expires_in"],
    ),
    "WidgetSessionToken": obj(
        {"session_token": STRING, "expires_at": INSTANT, "expires_in": {"type": "integer"}},
        ["session_token", "expires_at", "expires_in"],
    ),
    "WidgetConfig": obj(
        {
            "client_key": STRING,
            "account": STRING,
            "agent_id": STRING,
            "display_name": STRING,
            "auth_mode": {"enum": ["guest", "user", "both"]},
            "branding": obj({name: STRING for name in BRANDING}, BRANDING),
        },
        ["client_key", "account", "agent_id", "display_name", "auth_mode", "branding"],
    ),
}

ORIGIN = ({"widgetOrigin": []},)
SECURITY_SCHEMES = {
    "widgetOrigin": {
        "type": "apiKey",
        "in": "header",
        "name": "Origin",
        "description": (
            "the page's origin, which the client key's allowlist must cover; without Origin, "
            "the origin of Referer counts"
        ),
    },
    "widgetSecretKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "a secret key `sk_live_...` of the client key's account",
    },
}

DESCRIPTION = "Kataven widget: client keys with Origin allowlists, visitor and session JWTs"
