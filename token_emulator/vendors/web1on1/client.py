"""What a client of web1on1 sends: a user's email and password, for a 24-hour access
token and a refresh token."""

from __future__ import annotations

from typing import Any

from token_emulator.core.calls import Call, Flow, Steps, json_answer
from token_emulator.core.vendor_client import (
    FixturesDir,
    Option,
    VendorClient,
    fixtures_of,
    missing,
)
from token_emulator.vendors.web1on1.models import Web1on1Fixtures

TOKEN_PATH = "/v2/auth/token"


def web1on1_login_of(email: str | None = None, fixtures: FixturesDir = None) -> tuple[str, str]:
    """(email, password) of a web1on1 user: the one named, else the first admin."""
    users = fixtures_of(Web1on1Fixtures, CLIENT, fixtures).users
    for user in users:
        if (user.email.casefold() == email.casefold()) if email else user.role == "admin":
            return user.email, user.password
    wanted = f"user {email!r}" if email else "admin user"
    raise missing(CLIENT, fixtures, f"web1on1 {wanted}", "email and password")


def token_call(
    email: str | None = None, password: str | None = None, *, fixtures: FixturesDir = None
) -> Call:
    """A password login: the named user's (the fixtures give the password), else the
    first admin's."""
    if password is None:
        email, password = web1on1_login_of(email, fixtures)
    elif email is None:
        raise ValueError("give the email with the password")
    return Call(
        "web1on1: log in",
        "POST",
        "/web1on1" + TOKEN_PATH,
        json={"email": email, "password": password},
        expect=(201,),
    )


def answer(
    email: str | None = None, password: str | None = None, *, fixtures: FixturesDir = None
) -> Steps[dict[str, Any]]:
    """web1on1: log in with email and password; `{"token", "refreshToken", ...}`."""
    call = token_call(email, password, fixtures=fixtures)
    response = yield call
    return json_answer(call, response, "token")


web1on1_login = Flow(answer)
web1on1_login.__doc__ = """`web1on1_login(client, email=None, password=None)`: web1on1's token
answer (`token`, `refreshToken`, `user`, ...). Without a password, the fixtures give the named
user's (or, without an email, the first admin's)."""


CLIENT = VendorClient(
    id="web1on1",
    title="web1on1",
    fixture_file="web1on1.toml",
    fixture_model=Web1on1Fixtures,
    answer=answer,
    token_field="token",
    summary="email and password -> token",
    options=(
        Option("--email", "the user (default: the fixtures' first admin)"),
        Option("--password", "(default: the user's, from the fixtures)", requires="--email"),
    ),
    token_call=token_call,
    # web1on1 allows 20 requests a second per IP (its documented limit, which the
    # emulator keeps): a load test of its login from one address would measure 429s.
    load_test_settings={"rate_limit_per_second": 0},
    helpers={"web1on1_login": web1on1_login, "web1on1_login_of": web1on1_login_of},
)
