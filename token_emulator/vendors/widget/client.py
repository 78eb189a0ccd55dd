"""What a client of the Kataven widget sends: a public client key from an allowlisted
page for a guest visitor token (or, server to server, a secret key for a user's), then
the visitor token for a session."""

from __future__ import annotations

from typing import Any

from token_emulator.core.calls import Call, Flow, Steps, json_answer
from token_emulator.core.vendor_client import (
    FixturesDir,
    Option,
    VendorClient,
    first_entry,
    fixtures_of,
    missing,
)
from token_emulator.vendors.widget.models import WidgetFixtures

BASE = "/api/v1/widget"
DEFAULT_ORIGIN = "http://localhost:3000"


def widget_client_key(fixtures: FixturesDir = None) -> str:
    """The first widget client key of the fixtures."""
    keys = fixtures_of(WidgetFixtures, CLIENT, fixtures).client_keys
    return first_entry(keys, CLIENT, fixtures, "widget client key", "client_key").key


def widget_secret_key(client_key: str, fixtures: FixturesDir = None) -> str:
    """A secret key of the account that owns `client_key`."""
    loaded = fixtures_of(WidgetFixtures, CLIENT, fixtures)
    accounts = [entry.account for entry in loaded.client_keys if entry.key == client_key]
    for secret in loaded.secret_keys:
        if secret.account in accounts:
            return secret.key
    what = f"widget secret key for client key {client_key[:16]!r}..."
    raise missing(CLIENT, fixtures, what, "secret_key")


def token_call(
    client_key: str | None = None,
    origin: str = DEFAULT_ORIGIN,
    user_id: str | None = None,
    secret_key: str | None = None,
    *,
    agent_id: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    fixtures: FixturesDir = None,
) -> Call:
    """A guest visitor token from a page at `origin`, or with `user_id` a user's, server
    to server with the account's secret key."""
    if client_key is None:
        client_key = widget_client_key(fixtures)
    if user_id is None:
        body: dict[str, Any] = {"client_key": client_key}
        if agent_id is not None:
            body["agent_id"] = agent_id
        return Call(
            "widget: guest visitor token",
            "POST",
            f"/widget{BASE}/auth/guest",
            headers={"origin": origin},
            json=body,
        )
    if secret_key is None:
        secret_key = widget_secret_key(client_key, fixtures)
    body = {"client_key": client_key, "user_id": user_id}
    body |= {"display_name": display_name} if display_name is not None else {}
    body |= {"email": email} if email is not None else {}
    return Call(
        "widget: user visitor token (server to server)",
        "POST",
        f"/widget{BASE}/auth/user-token",
        headers={"authorization": f"Bearer {secret_key}"},
        json=body,
    )


def exchange_call(visitor: str, client_key: str, origin: str = DEFAULT_ORIGIN) -> Call:
    """What the widget's page sends next: the visitor token for a session."""
    return Call(
        "widget: exchange the visitor token for a session",
        "POST",
        f"/widget{BASE}/auth/exchange",
        headers={"origin": origin},
        json={"token": visitor, "client_key": client_key},
    )


def answer(
    client_key: str | None = None,
    origin: str = DEFAULT_ORIGIN,
    user_id: str | None = None,
    secret_key: str | None = None,
    *,
    agent_id: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    fixtures: FixturesDir = None,
) -> Steps[dict[str, Any]]:
    """Widget: a guest (or, with `user_id`, a user) visitor token, exchanged for a session."""
    if client_key is None:
        client_key = widget_client_key(fixtures)
    call = token_call(
        client_key,
        origin,
        user_id,
        secret_key,
        agent_id=agent_id,
        display_name=display_name,
        email=email,
        fixtures=fixtures,
    )
    response = yield call
    visitor = json_answer(call, response, "token")["token"]
    call = exchange_call(visitor, client_key, origin)
    response = yield call
    return json_answer(call, response, "session_token")


widget_session = Flow(answer)
widget_session.__doc__ = """`widget_session(client, client_key=None, origin="http://localhost:3000",
user_id=None, secret_key=None)`: the guest flow (or, with `user_id`, the user-token flow with
the account's secret key from the fixtures) and the exchange; the session answer
(`session_token`, `expires_at`, `expires_in`)."""


def _exchange(found: dict[str, Any], guest: Call) -> Call:
    """The exchange of the visitor token, with the guest request's client key and Origin."""
    return exchange_call(found["token"], guest.json["client_key"], guest.headers["origin"])


CLIENT = VendorClient(
    id="widget",
    title="Widget (Kataven)",
    fixture_file="widget.toml",
    fixture_model=WidgetFixtures,
    answer=answer,
    token_field="session_token",
    summary="guest (or user) visitor token -> session",
    options=(
        Option("--client-key", "the client key (default: the fixtures' first)"),
        Option("--origin", f"Origin sent (default {DEFAULT_ORIGIN})", default=DEFAULT_ORIGIN),
        Option("--user-id", "the user flow (user-token) instead of a guest"),
        Option("--secret-key", "for --user-id (default: the account's, from the fixtures)"),
        Option("--agent-id", "guest flow: the agent (default: the key's)"),
        Option("--display-name", "user flow: display_name"),
        Option("--email", "user flow: email"),
    ),
    token_call=token_call,
    follow_up=_exchange,
    helpers={
        "widget_session": widget_session,
        "widget_client_key": widget_client_key,
        "widget_secret_key": widget_secret_key,
    },
)
