"""Whole client flows: one call gets a ready token from the emulator, for each vendor.

Each flow is written once as a generator of HTTP steps (`Call`s) that is
driven by an `httpx.Client` or an `httpx.AsyncClient`, so every helper takes
either: with a `Client` it returns the result, with an `AsyncClient` an
awaitable of it::

    with httpx.Client(base_url="http://127.0.0.1:8080") as http:
        token = uneeq_token(http, workspace="demo")
    async with httpx.AsyncClient(base_url=url) as http:   # or the ASGI app's client
        token = await uneeq_token(http, workspace="demo")

The client's `base_url` is the emulator's root; the flows add the vendor
prefixes. Credentials default to the fixture directory's (the package's
default fixtures unless `fixtures=` names another directory). A refused step
raises `FlowError` with the status, the body and the `x-emulator-reason`
header. Each step is logged on the `token_emulator.testing.flows` logger (INFO).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar, overload

import httpx

from token_emulator.core.clock import parse_instant, real_time
from token_emulator.core.errors import REASON_HEADER
from token_emulator.testing.clients import uneeq_request_jwt, unifize_assertion
from token_emulator.testing.credentials import (
    FixturesDir,
    eightbyeight_api_key,
    uneeq_secret,
    unifize_private_key,
    web1on1_login_of,
    widget_client_key,
    widget_secret_key,
)

log = logging.getLogger("token_emulator.testing.flows")

P = ParamSpec("P")
T = TypeVar("T")

WIDGET_API = "/widget/api/v1/widget"
DEFAULT_ORIGIN = "http://localhost:3000"
MAX_BODY_SHOWN = 500


@dataclass(frozen=True)
class Call:
    """One HTTP step of a flow. `expect` empty: any status, the flow reads it itself."""

    step: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: str | None = None
    expect: tuple[int, ...] = (200,)

    def send_arguments(self) -> dict[str, Any]:
        # UTF-8 bytes: httpx would refuse a non-ASCII str, and a test may want to send one.
        headers = {name: value.encode() for name, value in self.headers.items()}
        arguments: dict[str, Any] = {"headers": headers}
        if self.json is not None:
            arguments["json"] = self.json
        elif self.content is not None:
            arguments["content"] = self.content
        return arguments


Steps = Generator[Call, httpx.Response, T]


class FlowError(Exception):
    """A step of a flow was refused, or answered something the flow cannot use."""

    def __init__(self, call: Call, response: httpx.Response, problem: str = "refused") -> None:
        self.step = call.step
        self.method = call.method
        self.path = call.path
        self.status = response.status_code
        self.body = response.text
        self.reason = response.headers.get(REASON_HEADER)
        self.response = response
        body = self.body if len(self.body) <= MAX_BODY_SHOWN else self.body[:MAX_BODY_SHOWN] + "..."
        super().__init__(
            f"{call.step} {problem}: {call.method} {call.path} answered {self.status}; "
            f"x-emulator-reason: {self.reason or '(none)'}; body: {body!r}"
        )


def _check(call: Call, response: httpx.Response) -> httpx.Response:
    log.info("%s: %s %s -> %s", call.step, call.method, call.path, response.status_code)
    if call.expect and response.status_code not in call.expect:
        raise FlowError(call, response)
    return response


def _send_sync(client: httpx.Client, steps: Steps[T]) -> T:
    try:
        call = next(steps)
        while True:
            response = client.request(call.method, call.path, **call.send_arguments())
            call = steps.send(_check(call, response))
    except StopIteration as done:
        result: T = done.value
        return result


async def _send_async(client: httpx.AsyncClient, steps: Steps[T]) -> T:
    try:
        call = next(steps)
        while True:
            response = await client.request(call.method, call.path, **call.send_arguments())
            call = steps.send(_check(call, response))
    except StopIteration as done:
        result: T = done.value
        return result


@overload
def run(client: httpx.AsyncClient, steps: Steps[T]) -> Awaitable[T]: ...
@overload
def run(client: httpx.Client, steps: Steps[T]) -> T: ...
def run(client: httpx.Client | httpx.AsyncClient, steps: Steps[T]) -> T | Awaitable[T]:
    """Drive a flow's steps with a sync client (the result) or an async one (an awaitable)."""
    if isinstance(client, httpx.AsyncClient):
        return _send_async(client, steps)
    return _send_sync(client, steps)


class Flow(Generic[P, T]):
    """A flow's steps made callable with a client first: `flow(client, ...)`."""

    def __init__(self, steps: Callable[P, Steps[T]]) -> None:
        self.steps = steps
        functools.update_wrapper(self, steps)

    @overload
    def __call__(
        self, client: httpx.AsyncClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...
    @overload
    def __call__(self, client: httpx.Client, /, *args: P.args, **kwargs: P.kwargs) -> T: ...
    def __call__(
        self, client: httpx.Client | httpx.AsyncClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> T | Awaitable[T]:
        return run(client, self.steps(*args, **kwargs))


def _json_answer(call: Call, response: httpx.Response, needed: str) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        raise FlowError(call, response, "got no JSON") from None
    if not isinstance(answer, dict) or not isinstance(answer.get(needed), str):
        raise FlowError(call, response, f"got JSON without a {needed!r} string")
    return answer


def emulator_now(vendor: str) -> Steps[float]:
    """The emulator clock's now, so client-side time claims follow a moved clock.

    Real time when the control plane does not answer (say, it needs an admin
    token the client does not send): right as long as the clock was not moved.
    """
    call = Call(f"{vendor}: read the emulator clock", "GET", "/_emulator/clock", expect=())
    response = yield call
    if response.status_code == 200:
        try:
            return parse_instant(response.json()["now"])
        except (ValueError, KeyError, TypeError):
            pass
    log.warning("the emulator clock is not readable (%s); using real time", response.status_code)
    return real_time()


# --- the steps of each vendor's flow, returning the vendor's whole answer -------------


def uneeq_answer(
    workspace: str = "demo",
    *,
    secret: str | None = None,
    sid: str = "",
    custom_data: Any = None,
    region: str | None = None,
    fixtures: FixturesDir = None,
) -> Steps[dict[str, Any]]:
    """UneeQ: sign the request JWT, post it; the answer `{"token": ...}`."""
    if secret is None:
        secret = uneeq_secret(workspace, fixtures)
    jwt = uneeq_request_jwt(secret, workspace, sid=sid, custom_data=custom_data)
    log.info("uneeq: signed the request JWT for workspace %s (HS256)", workspace)
    prefix = f"/uneeq/{region}" if region else "/uneeq"
    call = Call(
        "uneeq: request a single-use token",
        "POST",
        f"{prefix}/api/v1/clients/access/tokens",
        headers={"workspace": workspace, "content-type": "application/jwt"},
        content=jwt,
    )
    response = yield call
    return _json_answer(call, response, "token")


def _pem(key: str | Path | None) -> str | None:
    if isinstance(key, Path):
        return key.read_text()
    return key


def unifize_answer(
    app_id: int | str = 101,
    key: str | Path | None = None,
    org_id: int | None = None,
    *,
    lifetime: int = 600,
    fixtures: FixturesDir = None,
) -> Steps[dict[str, Any]]:
    """Unifize: sign the assertion at the emulator's now, exchange it; `{"accessToken", ...}`."""
    pem = _pem(key) or unifize_private_key(app_id, fixtures)
    now = yield from emulator_now("unifize")
    assertion = unifize_assertion(app_id, pem, issued_at=now, lifetime=lifetime)
    log.info("unifize: signed the assertion for app %s (RS256, %s s)", app_id, lifetime)
    path = "/unifize/application/token"
    if org_id is not None:
        path = f"/unifize/application/installation/{org_id}/token"
    call = Call(
        "unifize: exchange the assertion for an access token",
        "POST",
        path,
        headers={"authorization": f"Bearer {assertion}"},
    )
    response = yield call
    return _json_answer(call, response, "accessToken")


def eightbyeight_answer(
    api_key: str | None = None,
    create_room: bool = False,
    phone_number: str | None = None,
    call_reference: str | None = None,
    *,
    fixtures: FixturesDir = None,
) -> Steps[dict[str, Any]]:
    """8x8: buy an auth token (and a room); `{"auth_token", ...}`."""
    if api_key is None:
        api_key = eightbyeight_api_key(fixtures)
    body: dict[str, Any] = {}
    if create_room:
        body["create_room"] = True
    if phone_number is not None:
        body["phone_number"] = phone_number
    if call_reference is not None:
        body["call_reference"] = call_reference
    call = Call(
        "8x8: buy an auth token" + (" and a room" if create_room else ""),
        "POST",
        "/8x8/api/v1/tokens",
        headers={"authorization": f"Bearer {api_key}"},
        json=body or None,  # no body at all: the agent token of eightbyeight.txt
    )
    response = yield call
    return _json_answer(call, response, "auth_token")


def web1on1_answer(
    email: str | None = None,
    password: str | None = None,
    *,
    fixtures: FixturesDir = None,
) -> Steps[dict[str, Any]]:
    """web1on1: log in with email and password; `{"token", "refreshToken", ...}`."""
    if password is None:
        email, password = web1on1_login_of(email, fixtures)
    elif email is None:
        raise ValueError("give the email with the password")
    call = Call(
        "web1on1: log in",
        "POST",
        "/web1on1/v2/auth/token",
        json={"email": email, "password": password},
        expect=(201,),
    )
    response = yield call
    return _json_answer(call, response, "token")


def widget_answer(
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
    if user_id is None:
        body: dict[str, Any] = {"client_key": client_key}
        if agent_id is not None:
            body["agent_id"] = agent_id
        call = Call(
            "widget: guest visitor token",
            "POST",
            f"{WIDGET_API}/auth/guest",
            headers={"origin": origin},
            json=body,
        )
    else:
        if secret_key is None:
            secret_key = widget_secret_key(client_key, fixtures)
        body = {"client_key": client_key, "user_id": user_id}
        body |= {"display_name": display_name} if display_name is not None else {}
        body |= {"email": email} if email is not None else {}
        call = Call(
            "widget: user visitor token (server to server)",
            "POST",
            f"{WIDGET_API}/auth/user-token",
            headers={"authorization": f"Bearer {secret_key}"},
            json=body,
        )
    response = yield call
    visitor = _json_answer(call, response, "token")["token"]
    call = Call(
        "widget: exchange the visitor token for a session",
        "POST",
        f"{WIDGET_API}/auth/exchange",
        headers={"origin": origin},
        json={"token": visitor, "client_key": client_key},
    )
    response = yield call
    return _json_answer(call, response, "session_token")


# --- the public one-call helpers --------------------------------------------------------


@Flow
def uneeq_token(
    workspace: str = "demo",
    *,
    secret: str | None = None,
    sid: str = "",
    custom_data: Any = None,
    region: str | None = None,
    fixtures: FixturesDir = None,
) -> Steps[str]:
    """`uneeq_token(client, workspace="demo")`: a single-use UneeQ token (str).

    The workspace's secret comes from the fixtures unless `secret` is given;
    `region` posts through `/uneeq/<region>`.
    """
    answer = yield from uneeq_answer(
        workspace, secret=secret, sid=sid, custom_data=custom_data, region=region, fixtures=fixtures
    )
    return str(answer["token"])


@Flow
def unifize_access_token(
    app_id: int | str = 101,
    key: str | Path | None = None,
    org_id: int | None = None,
    *,
    lifetime: int = 600,
    fixtures: FixturesDir = None,
) -> Steps[str]:
    """`unifize_access_token(client, app_id=101)`: a Unifize access token (str).

    `key` is the private key (PEM text, or a Path to a PEM file), by default
    the fixtures' test-only key; `org_id` uses the installation path. The
    assertion's `iat` is the emulator clock's now.
    """
    answer = yield from unifize_answer(app_id, key, org_id, lifetime=lifetime, fixtures=fixtures)
    return str(answer["accessToken"])


eightbyeight_token = Flow(eightbyeight_answer)
eightbyeight_token.__doc__ = """`eightbyeight_token(client, api_key=None, create_room=False,
phone_number=None, call_reference=None)`: 8x8's whole JSON answer (`auth_token`, and with a
room `call_reference` and `guest_link`). The API key defaults to the fixtures' first."""

web1on1_login = Flow(web1on1_answer)
web1on1_login.__doc__ = """`web1on1_login(client, email=None, password=None)`: web1on1's token
answer (`token`, `refreshToken`, `user`, ...). Without a password, the fixtures give the named
user's (or, without an email, the first admin's)."""

widget_session = Flow(widget_answer)
widget_session.__doc__ = """`widget_session(client, client_key=None, origin="http://localhost:3000",
user_id=None, secret_key=None)`: the guest flow (or, with `user_id`, the user-token flow with
the account's secret key from the fixtures) and the exchange; the session answer
(`session_token`, `expires_at`, `expires_in`)."""


class EmulatorAdminAuth(httpx.Auth):
    """httpx auth sending the admin token to the control plane (`/_emulator/`) only.

    Vendor calls keep their own `Authorization` (a Unifize assertion, an 8x8 API key).
    """

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.path
        if ("/_emulator/" in path or path.endswith("/_emulator")) and (
            "authorization" not in request.headers
        ):
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request
