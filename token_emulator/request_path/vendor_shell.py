"""Around a vendor's router: its refusals that no route rendered, the router's 404 and
405, in the vendor's own shape."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from token_emulator.core.errors import (
    EmulatorError,
    ErrorRenderer,
    answer,
    http_exception_handler,
    mark_refusal,
)
from token_emulator.core.scope_keys import NOW_KEY


class VendorShell:
    """Renders what the router raised (Starlette's ExceptionMiddleware did this, with a
    wrapper around every message sent; nothing here raises once an answer started)."""

    def __init__(self, app: ASGIApp, render_error: ErrorRenderer) -> None:
        self.app = app
        self.render_error = render_error
        self.render_http_exception = http_exception_handler(lambda _request: render_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except EmulatorError as error:
            now = scope.get(NOW_KEY) or 0.0
            response = answer(error, self.render_error, now)
            mark_refusal(Request(scope, receive), response, error.reason)
        except HTTPException as error:
            response = self.render_http_exception(Request(scope, receive), error)
        else:
            return
        await response(scope, receive, send)
