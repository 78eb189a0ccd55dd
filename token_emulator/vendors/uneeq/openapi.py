"""UneeQ's routes as the OpenAPI document describes them (see routes.py, errors.py)."""

from __future__ import annotations

from token_emulator.core.openapi import (
    ApiDescription,
    Operation,
    Prefix,
    content,
    json_body,
    obj,
    parameter,
    ref,
    response,
)
from token_emulator.vendors.uneeq.models import REGIONS


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

TOKEN = Operation(
    route="uneeq:token",
    method="POST",
    path="/api/v1/clients/access/tokens",
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

OPERATIONS = (
    TOKEN,
    Operation(
        route=TOKEN.route,
        method=TOKEN.method,
        path=TOKEN.path + "/",
        summary=TOKEN.summary + " (the same, with a trailing slash)",
        description=TOKEN.description,
        parameters=TOKEN.parameters,
        request_body=TOKEN.request_body,
        responses=TOKEN.responses,
        variant="trailing-slash",
    ),
    Operation(
        route="uneeq:start-session",
        method="POST",
        path="/api/v2/clients/start-session",
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
)


def describe() -> ApiDescription:
    region = parameter(
        "path",
        "region",
        {"type": "string", "enum": list(REGIONS)},
        "the regional host this prefix stands for; a workspace of another region is refused",
    )
    return ApiDescription(
        description="UneeQ: request JWTs, single-use tokens, sessions",
        prefixes=(
            Prefix("/uneeq"),
            Prefix(
                "/uneeq/{region}",
                parameters=(region,),
                variant="regional",
                # Another region names no mount: /uneeq/xx/... is a path /uneeq does not serve.
                responses={"404": ref("UneeqNotFound", "responses")},
            ),
        ),
        operations=OPERATIONS,
        schemas=SCHEMAS,
        responses=RESPONSES,
    )
