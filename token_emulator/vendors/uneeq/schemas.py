"""The shapes of UneeQ's bodies and refusals, as the OpenAPI document describes them."""

from __future__ import annotations

from token_emulator.core.openapi import obj, parameter, ref, response
from token_emulator.vendors.uneeq.models import REGIONS

DESCRIPTION = "UneeQ: request JWTs, single-use tokens, sessions"


def _plain(status_text: str) -> dict[str, object]:
    # UneeQ answers a refusal with the bare status phrase as text (errors.py).
    return response(
        f"`{status_text}` as plain text; the reason is in the x-emulator-reason header",
        {"type": "string", "const": status_text},
        media_type="text/plain",
    )


RESPONSES = {
    "UneeqNotFound": _plain("Not Found"),
    "UneeqBadRequest": _plain("Bad Request"),
    "UneeqUnauthorized": _plain("Unauthorized"),
    "UneeqForbidden": _plain("Forbidden"),
}
BAD_REQUEST = ref("UneeqBadRequest", "responses")
UNAUTHORIZED = ref("UneeqUnauthorized", "responses")
FORBIDDEN = ref("UneeqForbidden", "responses")

SCHEMAS = {
    "UneeqToken": obj({"token": {"type": "string"}}, ["token"]),
    "UneeqStartSession": obj(
        {
            "tokenId": {"type": "string", "description": "the single-use token to redeem"},
            "workspaceName": {
                "type": "string",
                "description": "when given, the token must have been issued for this workspace",
            },
        },
        additional=True,  # uneeq-js sends more client fields; they are kept with the session
    ),
    "UneeqSession": obj(
        {"id": {"type": "string", "format": "uuid"}, "showUneeqLogo": {"const": False}},
        ["id", "showUneeqLogo"],
    ),
    "UneeqSessionJwtRequest": obj(
        {
            "session_id": {"type": "string"},
            "persona_id": {"type": "string", "description": "the session's workspace"},
        },
        ["session_id", "persona_id"],
        additional=True,
    ),
}

REGION = parameter(
    "path",
    "region",
    {"type": "string", "enum": list(REGIONS)},
    "the regional host this prefix stands for; a workspace of another region is refused",
)
NOT_FOUND = ref("UneeqNotFound", "responses")
