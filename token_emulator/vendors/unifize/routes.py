"""Unifize's routes, each declared once (route and OpenAPI operation), mounted at /unifize."""

from __future__ import annotations

from token_emulator.core.endpoints import Endpoint
from token_emulator.core.openapi import Operation, Prefix, json_body, parameter, ref, response
from token_emulator.vendors.unifize import handlers
from token_emulator.vendors.unifize.schemas import (
    ACCESS,
    ASSERTION,
    ID,
    ROOM_ERRORS,
    TOKEN_RESPONSES,
)

ENDPOINTS = (
    Endpoint(
        handlers.app_token,
        Operation(
            route="unifize:token",
            method="POST",
            path="/application/token",
            summary="An access token for the app's own org",
            security=ASSERTION,
            responses=TOKEN_RESPONSES,
        ),
    ),
    # The API reference's form (docs/vendors/unifize.md); the page's form above uses the
    # app's own org.
    Endpoint(
        handlers.installation_token,
        Operation(
            route="unifize:installation-token",
            method="POST",
            path="/application/installation/{org_id}/token",
            summary="An access token for an org the app is installed in",
            description=(
                "An `org_id` that is not a plain number is 404 before the assertion is read."
            ),
            parameters=(parameter("path", "org_id", ID),),
            security=ASSERTION,
            responses={
                **TOKEN_RESPONSES,
                "403": ref("UnifizeForbidden", "responses"),
                "404": ref("UnifizeNotFound", "responses"),
            },
        ),
    ),
    Endpoint(
        handlers.token_info,
        Operation(
            route="unifize:tokeninfo",
            method="POST",
            path="/application/tokeninfo",
            summary="What an access token stands for",
            request_body=json_body(ref("UnifizeTokenInfoRequest")),
            responses={
                "200": response(
                    "the token's app, bot user, org and expiry", ref("UnifizeTokenInfo")
                ),
                "400": ref("UnifizeBadRequest", "responses"),
                "401": ref("UnifizeUnauthorized", "responses"),
            },
        ),
    ),
    Endpoint(
        handlers.list_chatrooms,
        Operation(
            route="unifize:chatrooms",
            method="GET",
            path="/chatroom",
            summary="The chatrooms of the token's org (needs chatroom:read)",
            security=ACCESS,
            responses={
                "200": response(
                    "the chatrooms", {"type": "array", "items": ref("UnifizeChatroom")}
                ),
                **ROOM_ERRORS,
            },
        ),
    ),
    Endpoint(
        handlers.get_chatroom,
        Operation(
            route="unifize:chatroom",
            method="GET",
            path="/chatroom/{room_id}",
            summary="One chatroom of the token's org (needs chatroom:read)",
            description="Another org's room, an unknown one or an id that is not a number is 404.",
            parameters=(parameter("path", "room_id", {"type": "string"}),),
            security=ACCESS,
            responses={
                "200": response("the chatroom", ref("UnifizeChatroom")),
                **ROOM_ERRORS,
                "404": ref("UnifizeNotFound", "responses"),
            },
        ),
    ),
)

PREFIXES = (Prefix("/unifize"),)


# Server-to-server calls only: no CORS (the Vendor's default).
