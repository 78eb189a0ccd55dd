"""Unifize's wire errors.

Unifize publishes no error body (docs/vendors/unifize.md), so the emulator uses one JSON
shape for all: `{"status": 401, "error": "unauthorized", "message": "..."}`.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from token_emulator.core.errors import refusal

CODES = {
    400: ("bad_request", "The request is malformed"),
    401: ("unauthorized", "Authentication failed"),
    403: ("forbidden", "This app may not do this"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    500: ("internal_error", "Internal server error"),
}


def render_error(status: int, message: str, _now: float = 0.0) -> Response:
    code = CODES.get(status, (f"http_{status}", message))[0]
    return JSONResponse({"status": status, "error": code, "message": message}, status_code=status)


bad_request = refusal(400, CODES[400][1])
# Assertion or access token missing, malformed, expired, forged or foreign.
unauthorized = refusal(401, CODES[401][1])
# A valid token whose app may not do this.
forbidden = refusal(403, CODES[403][1])
not_found = refusal(404, CODES[404][1])
