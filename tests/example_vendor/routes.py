"""The example vendor's routes, each declared once (route and OpenAPI operation)."""

from __future__ import annotations

from tests.example_vendor import handlers
from tests.example_vendor.client import INTROSPECT_PATH, TOKEN_PATH
from token_emulator.core.endpoints import Endpoint
from token_emulator.core.openapi import Operation, Prefix, json_body, ref, response

BAD_REQUEST = ref("ExampleBadRequest", "responses")
INVALID_CLIENT = ref("ExampleInvalidClient", "responses")

ENDPOINTS = (
    Endpoint(
        handlers.token,
        Operation(
            route="example:token",
            method="POST",
            path=TOKEN_PATH,
            summary="A bearer token for a client's id and secret",
            request_body=json_body(ref("ExampleTokenRequest")),
            responses={
                "200": response("the token", ref("ExampleToken")),
                "400": BAD_REQUEST,
                "401": INVALID_CLIENT,
            },
        ),
    ),
    Endpoint(
        handlers.introspect,
        Operation(
            route="example:introspect",
            method="GET",
            path=INTROSPECT_PATH,
            summary="What a live token stands for",
            security=({"exampleBearer": []},),
            responses={
                "200": response("the token's client and expiry", ref("ExampleIntrospection")),
                "401": INVALID_CLIENT,
            },
        ),
    ),
)

PREFIXES = (Prefix("/example"),)
# Server-to-server calls only: no CORS (the Vendor's default).
