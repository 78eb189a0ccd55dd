"""8x8 Video Interaction's routes, each declared once (route and OpenAPI operation),
mounted at /8x8. The browser routes (agent login, guest link) refuse with HTML pages."""

from __future__ import annotations

from token_emulator.core.endpoints import Endpoint
from token_emulator.core.openapi import (
    INSTANT,
    Operation,
    Prefix,
    json_body,
    parameter,
    ref,
    response,
)
from token_emulator.core.vendor import BrowserCors
from token_emulator.vendors.eightbyeight import handlers
from token_emulator.vendors.eightbyeight.backend import MAX_PAGE_SIZE
from token_emulator.vendors.eightbyeight.errors import render_page
from token_emulator.vendors.eightbyeight.schemas import (
    API_KEY,
    REPORTING_ERRORS,
    X_TOKEN,
    page_answer,
    query,
)

TOKEN = Operation(
    route="8x8:token",
    method="POST",
    path="/api/v1/tokens",
    summary="An auth token, and with create_room a room valid 15 minutes",
    description="No body, an empty body or `{}` buys a plain auth token.",
    security=API_KEY,
    request_body=json_body(ref("EightByEightTokenRequest"), required=False),
    responses={
        "200": response("the auth token (and the room)", ref("EightByEightToken")),
        "400": ref("EightByEightBadRequest", "responses"),
        "401": ref("EightByEightUnauthorized", "responses"),
    },
)

ENDPOINTS = (
    Endpoint(handlers.issue_token, TOKEN),
    # The vendor page writes https://video-agent.8x8.com//api/v1/tokens; clients copy it.
    Endpoint(
        handlers.issue_token,
        Operation(
            route=TOKEN.route,
            method=TOKEN.method,
            path="/" + TOKEN.path,
            summary=TOKEN.summary + " (the vendor page's `//api/v1/tokens`)",
            description=TOKEN.description,
            security=TOKEN.security,
            request_body=TOKEN.request_body,
            responses=TOKEN.responses,
            variant="double-slash",
        ),
    ),
    # The agent iframe opens /?user=<agent email>&token=<auth_token> (docs/vendors/eightbyeight.md).
    Endpoint(
        handlers.agent_login,
        Operation(
            route="8x8:agent-login",
            method="GET",
            path="/",
            summary="The agent iframe's login: an HTML page saying the agent is in the room",
            description="Each query parameter exactly once; refusals are HTML pages too.",
            parameters=(
                parameter("query", "user", {"type": "string", "minLength": 1}, required=True),
                parameter(
                    "query",
                    "token",
                    {"type": "string", "minLength": 1},
                    "an auth_token",
                    required=True,
                ),
            ),
            responses={
                "200": page_answer("the agent is in the room"),
                "400": ref("EightByEightBadRequestPage", "responses"),
                "401": ref("EightByEightUnauthorizedPage", "responses"),
                "403": ref("EightByEightForbiddenPage", "responses"),
                "410": ref("EightByEightGonePage", "responses"),
            },
        ),
        render=render_page,
    ),
    Endpoint(
        handlers.guest,
        Operation(
            route="8x8:guest",
            method="GET",
            path="/guest/{room_id}",
            summary="The guest link: an HTML page while the room is valid",
            parameters=(parameter("path", "room_id", {"type": "string"}),),
            responses={
                "200": page_answer("the guest's waiting room"),
                "404": ref("EightByEightRoomNotFound", "responses"),
                "410": ref("EightByEightGonePage", "responses"),
            },
        ),
        render=render_page,
    ),
    Endpoint(
        handlers.call_logs,
        Operation(
            route="8x8:call-logs",
            method="GET",
            path="/api/v1/call-logs",
            summary="The rooms of the token's API key as call logs, newest first",
            description="Each query parameter at most once.",
            parameters=(
                query("from", INSTANT, "created_at at or after this instant"),
                query("to", INSTANT, "created_at before this instant"),
                query("q", {"type": "string"}, "a case-insensitive substring to look for"),
                query("cursor", {"type": "string"}, "the previous page's next_cursor"),
                query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 20},
                    "page size",
                ),
            ),
            security=X_TOKEN,
            responses={
                "200": response("a page of call logs", ref("EightByEightCallPage")),
                **REPORTING_ERRORS,
            },
        ),
    ),
    Endpoint(
        handlers.call,
        Operation(
            route="8x8:call",
            method="GET",
            path="/api/v1/calls/{call_id}",
            summary="One call log of the token's API key",
            parameters=(parameter("path", "call_id", {"type": "string"}),),
            security=X_TOKEN,
            responses={
                "200": response("the call log", ref("EightByEightCall")),
                "401": ref("EightByEightUnauthorized", "responses"),
                "404": ref("EightByEightCallNotFound", "responses"),
            },
        ),
    ),
)

PREFIXES = (Prefix("/8x8"),)


# Reporting calls carry x-token and may come from a browser app: permissive CORS.
CORS = BrowserCors()
