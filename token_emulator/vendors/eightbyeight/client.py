"""What a client of 8x8 Video Interaction sends: its API key as a Bearer token, for an
agent token and, if asked, a room valid 15 minutes."""

from __future__ import annotations

from typing import Any

from token_emulator.core.calls import Call, Flow, Steps, json_answer
from token_emulator.core.vendor_client import (
    FixturesDir,
    Option,
    VendorClient,
    first_entry,
    fixtures_of,
)
from token_emulator.vendors.eightbyeight.models import EightByEightFixtures

TOKEN_PATH = "/api/v1/tokens"


def eightbyeight_api_key(fixtures: FixturesDir = None) -> str:
    """The first 8x8 API key of the fixtures."""
    keys = fixtures_of(EightByEightFixtures, CLIENT, fixtures).api_keys
    return first_entry(keys, CLIENT, fixtures, "8x8 API key", "api_key").key


def token_call(
    api_key: str | None = None,
    create_room: bool = False,
    phone_number: str | None = None,
    call_reference: str | None = None,
    *,
    fixtures: FixturesDir = None,
) -> Call:
    """The token request; no body at all for a plain agent token (docs/vendors/eightbyeight.md)."""
    if api_key is None:
        api_key = eightbyeight_api_key(fixtures)
    body: dict[str, Any] = {}
    if create_room:
        body["create_room"] = True
    if phone_number is not None:
        body["phone_number"] = phone_number
    if call_reference is not None:
        body["call_reference"] = call_reference
    return Call(
        "8x8: buy an auth token" + (" and a room" if create_room else ""),
        "POST",
        "/8x8" + TOKEN_PATH,
        headers={"authorization": f"Bearer {api_key}"},
        json=body or None,
    )


def answer(
    api_key: str | None = None,
    create_room: bool = False,
    phone_number: str | None = None,
    call_reference: str | None = None,
    *,
    fixtures: FixturesDir = None,
) -> Steps[dict[str, Any]]:
    """8x8: buy an auth token (and a room); `{"auth_token", ...}`."""
    call = token_call(api_key, create_room, phone_number, call_reference, fixtures=fixtures)
    response = yield call
    return json_answer(call, response, "auth_token")


eightbyeight_token = Flow(answer)
eightbyeight_token.__doc__ = """`eightbyeight_token(client, api_key=None, create_room=False,
phone_number=None, call_reference=None)`: 8x8's whole JSON answer (`auth_token`, and with a
room `call_reference` and `guest_link`). The API key defaults to the fixtures' first."""


CLIENT = VendorClient(
    id="8x8",
    title="8x8 Video Interaction",
    fixture_file="eightbyeight.toml",
    fixture_model=EightByEightFixtures,
    answer=answer,
    token_field="auth_token",
    summary="API key -> auth token (and room)",
    options=(
        Option("--api-key", "the API key (default: the fixtures' first)"),
        Option("--create-room", "also make a room", switch=True),
        Option("--phone-number", "E.164 number the guest link is sent to"),
        Option("--call-reference", "8 to 20 characters"),
    ),
    token_call=token_call,
    helpers={
        "eightbyeight_token": eightbyeight_token,
        "eightbyeight_api_key": eightbyeight_api_key,
    },
)
