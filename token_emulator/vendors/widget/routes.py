"""Kataven widget's routes, each declared once (route and OpenAPI operation), mounted at
/widget."""

from __future__ import annotations

from token_emulator.core.endpoints import Endpoint
from token_emulator.core.openapi import Operation, Prefix, json_body, parameter, ref, response
from token_emulator.core.vendor import BrowserCors
from token_emulator.vendors.widget import handlers
from token_emulator.vendors.widget.client import BASE
from token_emulator.vendors.widget.schemas import ORIGIN, STRING, answer_ref

ENDPOINTS = (
    Endpoint(
        handlers.guest,
        Operation(
            route="widget:guest",
            method="POST",
            path=f"{BASE}/auth/guest",
            summary="A guest visitor token, for an allowlisted origin",
            security=ORIGIN,
            request_body=json_body(ref("WidgetGuestRequest")),
            responses={
                "200": response("a visitor JWT", ref("WidgetVisitorToken")),
                "400": answer_ref("WidgetGuestBadRequest"),
                "403": answer_ref("WidgetGuestForbidden"),
            },
        ),
    ),
    Endpoint(
        handlers.user_token,
        Operation(
            route="widget:user-token",
            method="POST",
            path=f"{BASE}/auth/user-token",
            summary="Server to server: a visitor token bound to a user of the customer's",
            security=({"widgetSecretKey": []},),
            request_body=json_body(ref("WidgetUserTokenRequest")),
            responses={
                "200": response("a visitor JWT", ref("WidgetVisitorToken")),
                "400": answer_ref("WidgetUserBadRequest"),
                "401": answer_ref("WidgetUserUnauthorized"),
                "403": answer_ref("WidgetUserForbidden"),
            },
        ),
    ),
    Endpoint(
        handlers.exchange,
        Operation(
            route="widget:exchange",
            method="POST",
            path=f"{BASE}/auth/exchange",
            summary="Trade a visitor token (once) for a session token",
            security=ORIGIN,
            request_body=json_body(ref("WidgetExchangeRequest")),
            responses={
                "200": response("a session JWT", ref("WidgetSessionToken")),
                "400": answer_ref("WidgetExchangeBadRequest"),
                "403": answer_ref("WidgetOriginForbidden"),
            },
        ),
    ),
    Endpoint(
        handlers.refresh,
        Operation(
            route="widget:refresh",
            method="POST",
            path=f"{BASE}/auth/refresh",
            summary="Trade a session token (once, valid or within the grace window) for a new one",
            request_body=json_body(ref("WidgetRefreshRequest")),
            responses={
                "200": response("a session JWT", ref("WidgetSessionToken")),
                "400": answer_ref("WidgetRefreshBadRequest"),
            },
        ),
    ),
    Endpoint(
        handlers.config,
        Operation(
            route="widget:config",
            method="GET",
            path=f"{BASE}/config",
            summary="The widget's bootstrap config for a client key",
            parameters=(parameter("query", "client_key", STRING, required=True),),
            security=ORIGIN,
            responses={
                "200": response("the agent and its branding", ref("WidgetConfig")),
                "400": answer_ref("WidgetConfigBadRequest"),
                "403": answer_ref("WidgetConfigForbidden"),
            },
        ),
    ),
)

PREFIXES = (Prefix("/widget"),)


# Browsers call the widget from customers' pages. CORS stays permissive,
# as the vendor's is (docs/vendors/widget.md): the per-key allowlist is the boundary,
# so a page on a refused origin reads the 403 instead of a network error.
CORS = BrowserCors()
