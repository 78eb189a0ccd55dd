"""The shapes of the example vendor's bodies, as the OpenAPI document describes them."""

from __future__ import annotations

from typing import Any

from tests.example_vendor.errors import CODES
from token_emulator.core.openapi import obj, response


def _error(status: int) -> dict[str, Any]:
    schema = obj(
        {"error": {"const": CODES[status]}, "error_description": {"type": "string"}},
        ["error", "error_description"],
    )
    return response(f"`{CODES[status]}`; the reason is in the x-emulator-reason header", schema)


RESPONSES = {
    "ExampleBadRequest": _error(400),
    "ExampleInvalidClient": _error(401),
}
SCHEMAS: dict[str, Any] = {
    "ExampleTokenRequest": obj(
        {"client_id": {"type": "string"}, "client_secret": {"type": "string"}},
        ["client_id", "client_secret"],
        additional=True,
    ),
    "ExampleToken": obj(
        {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
        },
        ["access_token", "token_type", "expires_in"],
    ),
    "ExampleIntrospection": obj(
        {"active": {"const": True}, "client_id": {"type": "string"}, "exp": {"type": "integer"}},
        ["active", "client_id", "exp"],
    ),
}
BEARER = ({"exampleBearer": []},)
SECURITY_SCHEMES = {
    "exampleBearer": {"type": "http", "scheme": "bearer", "description": "an access_token"},
}
DESCRIPTION = "Example: client credentials for a bearer token (the contract test's vendor)"
