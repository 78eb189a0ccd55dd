"""Unifize's wire errors.

Unifize publishes no error body (FINDINGS.md), so the emulator uses one JSON
shape for all: `{"status": 401, "error": "unauthorized", "message": "..."}`.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from token_emulator.core.errors import EmulatorError

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


def _refusal(reason: str, status: int) -> EmulatorError:
    return EmulatorError(reason, status=status, message=CODES.get(status, ("", reason))[1])


def bad_request(reason: str) -> EmulatorError:
    return _refusal(reason, 400)


def unauthorized(reason: str) -> EmulatorError:
    """Assertion or access token missing, malformed, expired, forged or foreign."""
    return _refusal(reason, 401)


def forbidden(reason: str) -> EmulatorError:
    """A valid token whose app may not do this."""
    return _refusal(reason, 403)


def not_found(reason: str) -> EmulatorError:
    return _refusal(reason, 404)
