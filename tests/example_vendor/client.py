"""What a client of the example vendor sends: its client id and secret, for a token."""

from __future__ import annotations

from typing import Any

from tests.example_vendor.models import ExampleFixtures
from token_emulator.core.calls import Call, Steps, json_answer
from token_emulator.core.vendor_client import (
    FixturesDir,
    Option,
    VendorClient,
    fixtures_of,
    missing,
)

TOKEN_PATH = "/oauth/token"
INTROSPECT_PATH = "/oauth/introspect"


def registered_client(
    client_id: str | None = None, fixtures: FixturesDir = None
) -> tuple[str, str]:
    """A client's id and secret from the fixtures (the first client's by default)."""
    apps = fixtures_of(ExampleFixtures, CLIENT, fixtures).clients
    for app in apps:
        if client_id is None or app.id == client_id:
            return app.id, app.secret
    wanted = "client" if client_id is None else f"client {client_id!r}"
    raise missing(CLIENT, fixtures, wanted, "client_secret")


def token_call(
    client_id: str | None = None, client_secret: str | None = None, *, fixtures: FixturesDir = None
) -> Call:
    """The token request; a missing secret comes from the fixtures."""
    if client_secret is None:
        client_id, client_secret = registered_client(client_id, fixtures)
    return Call(
        "example: client credentials for a token",
        "POST",
        "/example" + TOKEN_PATH,
        json={"client_id": client_id, "client_secret": client_secret},
    )


def answer(
    client_id: str | None = None, client_secret: str | None = None, *, fixtures: FixturesDir = None
) -> Steps[dict[str, Any]]:
    call = token_call(client_id, client_secret, fixtures=fixtures)
    response = yield call
    return json_answer(call, response, "access_token")


CLIENT = VendorClient(
    id="example",
    title="Example",
    fixture_file="example.toml",
    fixture_model=ExampleFixtures,
    answer=answer,
    token_field="access_token",
    summary="client id and secret -> bearer token",
    options=(
        Option("--client-id", "the client (default: the fixtures' first)"),
        Option("--client-secret", "its secret (default: the fixtures')"),
    ),
    token_call=token_call,
)
