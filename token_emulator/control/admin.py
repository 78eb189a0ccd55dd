"""The admin token: with one configured, the control plane answers only to its holder.

Scripts send it as `Authorization: Bearer <token>`. The dashboard, a page a
browser opens, logs in with it (`POST /_emulator/login`) and gets a cookie
naming a session (core/admin_sessions.py), never the token itself: cookies are
not kept apart by port, so any other local server the browser visits would
receive it. The session ends after a day by default, or at logout
(`POST /_emulator/logout`). Open without it: `/_emulator/health` for
healthchecks (which then says only whether the emulator is ready), the local
certificate authority's certificate (`/_emulator/ca.pem`), and the
dashboard's page and assets (the page then holds no data and shows its login
form). Failed logins from one client slow it down (LoginThrottle).
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import math
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.core import admin_sessions
from token_emulator.core.bodies import BodyProblem, parse_json_object
from token_emulator.core.errors import ControlError, mark_refusal
from token_emulator.core.instants import real_time
from token_emulator.core.scope_keys import CONTROL_REFUSED_KEY
from token_emulator.core.storage import Store
from token_emulator.core.worlds import Worlds
from token_emulator.settings import Settings

COOKIE = "emulator_admin"
# The whole site: the dashboard reads the server's control plane and each world's, at
# /worlds/{name}/_emulator/ (vendor routes ignore it).
COOKIE_PATH = "/"
OPEN_PATHS = {
    "/_emulator/health",
    "/_emulator/ca.pem",  # a certificate, public by nature; clients fetch it to trust
    "/_emulator/login",
    "/_emulator/logout",  # ends only the caller's own session, ended or not
    "/_emulator",
    "/_emulator/",
}
OPEN_PREFIX = "/_emulator/assets/"
MAX_LOGIN_BODY = 4096
# Failed logins one client may make before each further try waits, doubling from one
# second up to a minute; a success forgets them.
FREE_FAILURES = 5
LONGEST_WAIT_SECONDS = 60.0
REMEMBERED_CLIENTS = 10_000


def settings_of(request: Request) -> Settings:
    """The settings the app was made with (the lifespan's state)."""
    settings: Settings = request.state.settings
    return settings


def server_store(request: Request) -> Store:
    """The store of the server's own state (the default world's): dashboard sessions are
    the server's, whichever world a request is in."""
    worlds: Worlds = request.state.worlds
    return worlds.server.store


def _bearer_holds(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


async def holds_token(request: Request, token: str) -> bool:
    """The request carries the admin token, or the cookie of a session that has not ended."""
    if _bearer_holds(request, token):
        return True
    session = request.cookies.get(COOKIE)
    if not session:
        return False
    return await admin_sessions.is_open(server_store(request), session)


async def may_see_details(request: Request) -> bool:
    """No admin token is set, or the request holds it."""
    token = settings_of(request).admin_token
    return token is None or await holds_token(request, token)


class AdminTokenMiddleware:
    """In front of the /_emulator mount; does nothing when no token is configured."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if self.token is None or path in OPEN_PATHS or path.startswith(OPEN_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if await holds_token(request, self.token):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"error": "admin token required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="token-emulator control plane"'},
        )
        mark_refusal(request, response, "control plane: no valid admin token")
        scope[CONTROL_REFUSED_KEY] = True
        await response(scope, receive, send)


class LoginThrottle:
    """Failed logins per client, in this process: after FREE_FAILURES, each further try
    within its wait is refused 429, so guessing runs at a few tries a minute instead of
    hundreds a second. By the machine's clock, as sessions are."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}  # client -> (count, last failure)

    def wait_left(self, address: str) -> float:
        count, last = self._failures.get(client_key(address), (0, 0.0))
        if count < FREE_FAILURES:
            return 0.0
        wait = min(2.0 ** (count - FREE_FAILURES), LONGEST_WAIT_SECONDS)
        return max(0.0, last + wait - real_time())

    def failed(self, address: str) -> None:
        key = client_key(address)
        if key not in self._failures and len(self._failures) >= REMEMBERED_CLIENTS:
            self._forget_the_oldest()
        count, _last = self._failures.get(key, (0, 0.0))
        self._failures[key] = (count + 1, real_time())

    def succeeded(self, address: str) -> None:
        self._failures.pop(client_key(address), None)

    def _forget_the_oldest(self) -> None:
        """Room for a new client: first those whose last failure is a wait ago, then half of
        the rest, never every client at once (a flood of new addresses would otherwise
        free the one that is guessing)."""
        now = real_time()
        stale = [
            key for key, (_n, last) in self._failures.items() if now - last > LONGEST_WAIT_SECONDS
        ]
        for key in stale:
            del self._failures[key]
        if len(self._failures) >= REMEMBERED_CLIENTS:
            # Those still free to try go first, the oldest first; a client being slowed
            # down stays.
            def kept_longer(key: str) -> tuple[bool, float]:
                count, last = self._failures[key]
                return count >= FREE_FAILURES, last

            for key in sorted(self._failures, key=kept_longer)[: len(self._failures) // 2]:
                del self._failures[key]


def client_key(address: str) -> str:
    """Whose failures a login counts against: an IPv4 address, an IPv6 network of 64
    bits (one host is given a whole /64 to pick addresses from), and this machine's
    loopback addresses as one (any of 127.0.0.0/8 reaches a server on 127.0.0.1)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.is_loopback:
        return "loopback"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def throttle_of(request: Request) -> LoginThrottle:
    """The app's own (create_app makes one): failures of one app never slow another's."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def _login_page(message: str, status: int) -> HTMLResponse:
    page = (
        "<!doctype html><meta charset=utf-8><title>token-emulator: admin token</title>"
        "<body style='font-family:sans-serif;max-width:30em;margin:3em auto'>"
        f"<p>{html.escape(message)}</p>"
        "<form method=post action=/_emulator/login>"
        "<label>Admin token <input name=token type=password autofocus></label> "
        "<button>Open the dashboard</button></form>"
    )
    return HTMLResponse(page, status_code=status)


async def _given_token(request: Request) -> object:
    raw = await request.body()
    if len(raw) > MAX_LOGIN_BODY:
        raise ControlError(f"a login body is at most {MAX_LOGIN_BODY:,} bytes")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:  # the shared parser: deep nesting and lone surrogates are a 400, never a 500
            return parse_json_object(raw).get("token")
        except BodyProblem as problem:
            raise ControlError(str(problem)) from None
    return parse_qs(raw.decode("utf-8", "replace")).get("token", [None])[0]


async def login(request: Request) -> Response:
    """`POST /_emulator/login` with `token` (form or JSON): a session cookie, back to the page."""
    settings = settings_of(request)
    client = request.client.host if request.client else "unknown"  # a client_key's address
    throttle = throttle_of(request)
    # After the body is read: from here to recording a failure nothing awaits, so logins
    # sent together are counted one after another, not all checked before any failed.
    given = await _given_token(request)
    wait = throttle.wait_left(client)
    response: Response
    if wait > 0:
        seconds = math.ceil(wait)
        response = JSONResponse(
            {"error": f"too many failed logins: try again in {seconds} s"},
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
        return mark_refusal(request, response, f"control plane: login throttled for {seconds} s")
    if settings.admin_token is None:
        return RedirectResponse("/_emulator/", status_code=303)  # nothing to log in to
    token = settings.admin_token
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
        throttle.failed(client)
        response = _login_page("That is not the admin token.", 401)
        return mark_refusal(request, response, "control plane: wrong admin token at login")
    throttle.succeeded(client)
    session = await admin_sessions.open_session(
        server_store(request), settings.admin_session_seconds
    )
    response = RedirectResponse("/_emulator/", status_code=303)
    response.set_cookie(
        COOKIE,
        session,
        max_age=settings.admin_session_seconds,
        httponly=True,
        samesite="strict",
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    """`POST /_emulator/logout`: the session ends, the cookie goes, back to the page."""
    session = request.cookies.get(COOKIE)
    if session:
        await admin_sessions.close_session(server_store(request), session)
    response = RedirectResponse("/_emulator/", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response
