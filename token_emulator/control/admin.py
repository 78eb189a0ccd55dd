"""The admin token: with one configured, the control plane answers only to its holder.

Scripts send it as `Authorization: Bearer <token>`; the dashboard, a page a
browser opens, gets it as an HttpOnly cookie from `POST /_emulator/login`.
Open without it: `/_emulator/health` for healthchecks, and the dashboard's
page and assets, which hold no data (every call the page makes needs the
token; on a 401 it shows its login form).
"""

from __future__ import annotations

import hmac
import html
import json
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.core.errors import mark_refusal
from token_emulator.settings import Settings

COOKIE = "emulator_admin"
OPEN_PATHS = {"/_emulator/health", "/_emulator/login", "/_emulator", "/_emulator/"}
OPEN_PREFIX = "/_emulator/assets/"
MAX_LOGIN_BODY = 4096


def holds_token(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    cookie = request.cookies.get(COOKIE)
    return cookie is not None and hmac.compare_digest(cookie.encode(), token.encode())


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
        if holds_token(request, self.token):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"error": "admin token required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="token-emulator control plane"'},
        )
        mark_refusal(request, response, "control plane: no valid admin token")
        await response(scope, receive, send)


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


def settings_of(request: Request) -> Settings:
    """The settings the app was made with (the lifespan's state)."""
    settings: Settings = request.state.settings
    return settings


async def login(request: Request) -> Response:
    """`POST /_emulator/login` with `token` (form or JSON): sets the cookie, back to the page."""
    token = settings_of(request).admin_token
    raw = (await request.body())[:MAX_LOGIN_BODY]
    given: object = None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(raw)
            given = body.get("token") if isinstance(body, dict) else None
        except ValueError:
            given = None
    else:
        given = parse_qs(raw.decode("utf-8", "replace")).get("token", [None])[0]
    if token is None:
        return RedirectResponse("/_emulator/", status_code=303)  # nothing to log in to
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
        response = _login_page("That is not the admin token.", 401)
        return mark_refusal(request, response, "control plane: wrong admin token at login")
    response = RedirectResponse("/_emulator/", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/_emulator")
    return response
