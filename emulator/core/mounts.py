"""How a vendor's routes are mounted: its own error rendering, and CORS where browsers call.

Refusals are rendered inside the mount, so that the CORS middleware around
them adds its headers to every answer, 404 and 405 included; a browser then
sees the vendor's status instead of an opaque network error.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Mount
from starlette.types import ASGIApp

from emulator.core.errors import (
    REASON_HEADER,
    EmulatorError,
    ErrorRenderer,
    handle_emulator_error,
    http_exception_handler,
)


def permissive_cors(app: ASGIApp, expose: Sequence[str] = ()) -> ASGIApp:
    # Echo any origin (a regex, not "*") so credentialed requests work too.
    return CORSMiddleware(
        app,
        allow_origin_regex=".*",
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=[*expose, REASON_HEADER],
    )


def vendor_mount(
    prefix: str,
    app: ASGIApp,
    render_error: ErrorRenderer,
    *,
    cors_expose: Sequence[str] | None = None,
) -> Mount:
    """Mount `app` at `prefix`; `cors_expose` (even empty) turns permissive CORS on."""
    handled: ASGIApp = ExceptionMiddleware(
        app,
        handlers={
            EmulatorError: handle_emulator_error,
            HTTPException: http_exception_handler(lambda _request: render_error),
        },
    )
    if cors_expose is not None:
        handled = permissive_cors(handled, cors_expose)
    return Mount(prefix, app=handled)
