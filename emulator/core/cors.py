"""Permissive CORS for the vendor routes a browser calls, as the real servers answer.

Starlette's CORSMiddleware does the work; this only fixes the settings every
browser-facing vendor shares.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from emulator.core.errors import REASON_HEADER


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
